/**
 * "Run Diagnostics" in the extension: runs the doctor — asked of the connected engine
 * (GET /v1/doctor), or in this process through src/core/host when none is connected — and shows
 * the report in the Diagnostics view (doctor-tree.ts) and its config findings on the lines of
 * opsdeck.yaml (doctor-diagnostics.ts).
 */
import type * as vscode from 'vscode';
import type { DoctorReport } from '../../core/contract';
import { loadConfig, runDoctor, withRememberedProfile } from '../../core/host';
import type { EngineConnection } from '../engine-connection';
import { DoctorDiagnostics } from './doctor-diagnostics';
import { DoctorTree, type DoctorItemSnapshot } from './doctor-tree';

export class DoctorResults implements vscode.Disposable {
  private readonly tree = new DoctorTree();
  private readonly diagnostics = new DoctorDiagnostics();
  private last: DoctorReport | undefined;

  constructor(private readonly connection: EngineConnection) {}

  /** Run the doctor (of only `services` when given) and show what it found. */
  async run(services?: string[]): Promise<DoctorReport> {
    const client = this.connection.client;
    let report: DoctorReport;
    if (client) report = await client.doctor(services);
    else {
      const dir = this.connection.stackDir;
      if (!dir) throw new Error('no opsdeck.yaml in this workspace: nothing to diagnose');
      report = await runDoctor(withRememberedProfile(await loadConfig(dir)), services?.length ? { services } : {});
    }
    this.last = report;
    this.tree.show(report);
    await this.diagnostics.show(report);
    return report;
  }

  get lastReport(): DoctorReport | undefined {
    return this.last;
  }

  snapshot(): DoctorItemSnapshot[] {
    return this.tree.snapshot();
  }

  dispose(): void {
    this.tree.dispose();
    this.diagnostics.dispose();
  }
}
