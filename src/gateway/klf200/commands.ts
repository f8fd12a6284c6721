/**
 * Our own command sessions with the KLF 200 (GW_COMMAND_SEND_REQ): each waits, by session id,
 * for its GW_COMMAND_RUN_STATUS_NTF, a refusal in the confirmation, a timeout (after which the
 * connection is replaced: the library's is not trustworthy then) or the connection's end. The
 * gateway's frame listener hands the run status notifications in (onRunStatus).
 */
import { GW_COMMAND_SEND_REQ, type IGW_FRAME_RCV } from 'klf-200-api';
import type { CommandErrorCode, CommandResult } from '../types.js';
import { errorText, type Session } from './session.js';
import { COMMAND_ACCEPTED, RUN_STATUS_FAILED, failedRunResult } from './state.js';

interface PendingCommand {
  nodeId: number;
  finish: (result: CommandResult) => void;
}

export function offline(message = 'the KLF 200 is not connected'): CommandResult {
  return { ok: false, error: 'gateway_offline', message };
}

export class CommandSessions {
  private readonly pending = new Map<number, PendingCommand>();

  /** Sends `raw` (a position or stop) to a node: its session id, and the KLF's verdict. */
  send(session: Session, nodeId: number, raw: number, timeoutMs: number): { sessionId: number; result: Promise<CommandResult> } {
    const frame = new GW_COMMAND_SEND_REQ(nodeId, raw);
    const sessionId = frame.SessionID;
    const result = new Promise<CommandResult>((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        finish({ ok: false, error: 'timeout', message: `the KLF 200 did not answer within ${timeoutMs} ms` });
        // After one timeout the library's connection is not trustworthy: replace it.
        session.close('a command got no answer (the KLF 200 may be frozen)');
      }, timeoutMs);
      const finish = (result: CommandResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(sessionId);
        resolve(result);
      };
      // Registered before the request goes out: the run status can follow the CFM at once.
      this.pending.set(sessionId, { nodeId, finish });
      session.conn
        .sendFrameAsync(frame, timeoutMs / 1000)
        .then((cfm) => {
          if ((cfm as IGW_FRAME_RCV & { CommandStatus: number }).CommandStatus !== COMMAND_ACCEPTED) {
            finish({ ok: false, error: 'invalid', message: 'the KLF 200 rejected the command' });
          }
        })
        .catch((err: unknown) => {
          if (done) return;
          if (session.isClosed()) finish(offline('the connection to the KLF 200 closed before it answered'));
          else finish({ ok: false, error: 'internal', message: `the KLF 200 answered with an error: ${errorText(err)}` });
        });
    });
    return { sessionId, result };
  }

  /**
   * GW_COMMAND_RUN_STATUS_NTF: finishes our command of that session and node, and returns its
   * result (undefined when it is not ours: limitation reads end with a run status too).
   */
  onRunStatus(sessionId: number, nodeId: number, runStatus: number, reply: number): CommandResult | undefined {
    const pending = this.pending.get(sessionId);
    if (!pending || pending.nodeId !== nodeId) return undefined;
    const result: CommandResult = runStatus !== RUN_STATUS_FAILED ? { ok: true } : failedRunResult(reply);
    pending.finish(result);
    return result;
  }

  /** True while a command of ours moves this node. */
  owns(nodeId: number): boolean {
    for (const p of this.pending.values()) if (p.nodeId === nodeId) return true;
    return false;
  }

  failAll(error: CommandErrorCode, message: string): void {
    for (const p of [...this.pending.values()]) p.finish({ ok: false, error, message });
  }
}
