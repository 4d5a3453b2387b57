/**
 * Where things are in the text of opsdeck.yaml: key paths (as zod reports them) mapped back to
 * 1-based line:column, using the positions the `yaml` parser keeps on every node.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

export type KeyPath = readonly PropertyKey[];

export interface Position {
  line: number;
  column: number;
}

export const FILE_START: Position = { line: 1, column: 1 };

/** One step of a path walk: the key that names the entry (the item itself in a list) and its value. */
interface Step {
  key: Node;
  value: Node | undefined;
}

export class SourcePositions {
  /** Each mapping's pairs by key, built on first use: finding a key is then one lookup, not a scan. */
  private readonly keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The position of a character offset. */
  at(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * The key of the entry at `path` (for a list item, the item). When the path does not exist,
   * the deepest key on it that does: for a missing key, that is its parent's key.
   */
  keyOf(path: KeyPath): Position {
    const steps = this.walk(path);
    const last = steps.at(-1);
    return last ? this.start(last.key) : this.rootStart();
  }

  /** The value at `path`; when it is absent or empty, the deepest key on the path. */
  valueOf(path: KeyPath): Position {
    const steps = this.walk(path);
    const last = steps.at(-1);
    if (!last) return this.rootStart();
    if (steps.length === path.length && last.value && !isEmptyScalar(last.value)) return this.start(last.value);
    return this.start(last.key);
  }

  /**
   * The entry for `name` in a collection written either as a list of names (`[storage]`) or as a
   * map keyed by names (`{ storage: healthy }`), such as `depends_on`.
   */
  entryOf(path: KeyPath, name: string): Position {
    const container = this.walk(path);
    const node = container.length === path.length ? container.at(-1)?.value : undefined;
    if (isSeq(node)) {
      const item = node.items.find((i) => isScalar(i) && String(i.value) === name);
      if (isScalar(item)) return this.start(item);
    }
    return this.keyOf([...path, name]);
  }

  /**
   * The key path of the entry at `offset`, for YAML errors: in each mapping, the last entry that
   * starts at or before it, going deeper while that entry's value covers it.
   */
  pathAt(offset: number): string[] {
    const path: string[] = [];
    const root = this.resolve(this.doc.contents);
    let node = root && covers(root, offset) ? root : undefined;
    while (node) {
      let next: Node | undefined;
      if (isMap(node)) {
        const pair = lastStartingBy(node.items, offset);
        if (!pair) break;
        path.push(keyName(pair.key as Node));
        const value = this.resolve(pair.value as Node | null);
        if (value && covers(value, offset)) next = value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex((i) => covers(i as Node, offset));
        if (index >= 0) {
          path.push(String(index));
          next = this.resolve(node.items[index] as Node);
        }
      }
      node = next;
    }
    return path;
  }

  private walk(path: KeyPath): Step[] {
    const steps: Step[] = [];
    let node = this.resolve(this.doc.contents);
    for (const segment of path) {
      let step: Step | undefined;
      if (isMap(node)) {
        const pair = this.pairOf(node, String(segment));
        if (pair) step = { key: pair.key as Node, value: this.resolve(pair.value as Node | null) };
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)] as Node | undefined;
        if (item) step = { key: item, value: this.resolve(item) };
      }
      if (!step) break;
      steps.push(step);
      node = step.value;
    }
    return steps;
  }

  /** The pair of `map` whose scalar key reads `key` (the first one, as yaml reads a duplicate key). */
  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        if (isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p as Pair);
      }
      this.keyIndex.set(map, index);
    }
    return index.get(key);
  }

  private resolve(node: Node | null | undefined): Node | undefined {
    if (!node) return undefined;
    return isAlias(node) ? (node.resolve(this.doc) ?? undefined) : node;
  }

  private start(node: Node): Position {
    return node.range ? this.at(node.range[0]) : FILE_START;
  }

  private rootStart(): Position {
    const root = this.doc.contents;
    return root ? this.start(root) : FILE_START;
  }
}

const startOf = (node: Node | null) => node?.range?.[0] ?? Infinity;

/**
 * The last pair whose key starts at or before `offset`. Pairs are in file order, so this is a
 * binary search (a pair without a key is placed by its value, and never the answer).
 */
function lastStartingBy(items: YAMLMap['items'], offset: number): YAMLMap['items'][number] | undefined {
  const placed = (i: number) => startOf((items[i]!.key ?? items[i]!.value) as Node | null);
  let lo = 0;
  let hi = items.length; // the answer is at or before lo - 1 once lo === hi
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (placed(mid) <= offset) lo = mid + 1;
    else hi = mid;
  }
  let i = lo - 1;
  while (i >= 0 && startOf(items[i]!.key as Node | null) > offset) i--;
  return i >= 0 ? items[i] : undefined;
}
const covers = (node: Node, offset: number) => !!node.range && node.range[0] <= offset && offset < Math.max(node.range[1], node.range[0] + 1);
const keyName = (key: Node) => (isScalar(key) ? String(key.value) : String(key));
const isEmptyScalar = (node: Node) => isScalar(node) && node.value === null && !!node.range && node.range[0] === node.range[1];
