/**
 * The stack file's name, on its own so that finding a stack (src/core/host/stack-dir.ts) does not
 * load the YAML parser and the config schemas that config/load.ts needs to read it.
 */
export const CONFIG_FILE = 'opsdeck.yaml';
