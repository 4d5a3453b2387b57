import sqlite3 from 'node-sqlite3-wasm';
import { MemoryStore } from '../src/core/memory/memory-store';
import { existsSync } from 'node:fs';
const file = '/tmp/memprof/.opsdeck/memory.db';
if (!existsSync(file)) {
  console.log('need db');
}
const db = new sqlite3.Database(file);
const time = (name: string, sql: string, p: any[]) => {
  db.all(sql, p);
  const t = performance.now();
  let n = 0;
  for (let i = 0; i < 5; i++) n = db.all(sql, p).length;
  console.log(name.padEnd(50), ((performance.now() - t) / 5).toFixed(2), 'ms', n);
};
for (const m of ['"storage"', '"get"', '"error"', '"crash"*', '"e"*', '"timeout"']) {
  time(`count ${m}`, 'select count(*) from events_fts where events_fts match ?', [m]);
  time(`rowids ${m}`, 'select rowid from events_fts where events_fts match ?', [m]);
  time(`bm25 top ${m}`, 'select rowid, bm25(events_fts) r from events_fts where events_fts match ? order by r limit 20', [m]);
  time(`rank top ${m}`, 'select rowid from events_fts where events_fts match ? order by rank limit 20', [m]);
  time(`join+at score ${m}`, 'select e.id, -bm25(events_fts,1,0.5,0.5)*(1+0.2*pow(0.5, max(0, ? - e.at)/86400000.0)) r from events_fts join events e on e.id = events_fts.rowid where events_fts match ? order by r desc, e.at desc, e.id desc limit 20', [Date.now(), m]);
  time(`join+snippet ${m}`, "select e.id, e.data, snippet(events_fts, 0, '«','»','…',24) s, -bm25(events_fts,1,0.5,0.5) r from events_fts join events e on e.id = events_fts.rowid where events_fts match ? order by r desc limit 20", [m]);
}
