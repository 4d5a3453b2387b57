/** Test helpers: opsdeck.yaml text from lines, and the issues parseConfig reports for it (none when it is valid). */
import assert from 'node:assert/strict';
import { parseConfig, type ConfigIssue } from '../../src/core/config/load';
import { OpsError } from '../../src/core/errors';

export const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

export const issues = (text: string): ConfigIssue[] => {
  try {
    parseConfig(text, 'opsdeck.yaml');
  } catch (e) {
    assert.ok(e instanceof OpsError && e.code === 'CONFIG_INVALID');
    return (e.details as { issues: ConfigIssue[] }).issues;
  }
  return [];
};
