/** One line of a service's captured log, as the API and the surfaces show it. Part of the contract. */
export interface LogLine {
  at: number;
  stream: 'stdout' | 'stderr' | 'opsdeck';
  line: string;
}
