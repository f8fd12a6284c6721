/**
 * Requests to the KLF 200 whose answer comes as notifications after the confirmation: the
 * product list (GW_GET_ALL_NODES_INFORMATION) and a limitation read (GW_GET_LIMITATION_STATUS).
 * The gateway's frame listener hands the notifications in (onNode, onNodesFinished,
 * onSessionFinished). Our collectors are registered BEFORE the request goes out: klf-200-api's
 * Products and refreshLimitationAsync register theirs only after the confirmation, so
 * notifications arriving in the same TCP read are missed and they wait for ever (docs/klf200.md).
 */
import { GW_GET_ALL_NODES_INFORMATION_REQ, GW_GET_LIMITATION_STATUS_REQ, type IGW_FRAME_RCV } from 'klf-200-api';
import { errorText, SessionError, type Session } from './session.js';
import { COMMAND_ACCEPTED, type NodeRecord } from './state.js';

interface Discovery {
  records: NodeRecord[];
  finished: boolean;
  onChange: () => void;
}

export class SessionRequests {
  /** The product list being read. */
  private discovery?: Discovery;
  /** Waiters for GW_SESSION_FINISHED_NTF of our own limitation reads, by session id. */
  private readonly sessionWaiters = new Map<number, () => void>();

  /** Forgets everything in flight (the session is gone). */
  reset(): void {
    this.sessionWaiters.clear();
    this.discovery = undefined;
  }

  onNode(record: NodeRecord): void {
    this.discovery?.records.push(record);
    this.discovery?.onChange();
  }

  onNodesFinished(): void {
    if (!this.discovery) return;
    this.discovery.finished = true;
    this.discovery.onChange();
  }

  onSessionFinished(sessionId: number): void {
    const waiter = this.sessionWaiters.get(sessionId);
    this.sessionWaiters.delete(sessionId);
    waiter?.();
  }

  /** GW_GET_ALL_NODES_INFORMATION: resolves with the products once all were notified. */
  readNodes(session: Session, timeoutMs: number): Promise<NodeRecord[]> {
    return new Promise<NodeRecord[]>((resolve, reject) => {
      let expected: number | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const discovery: Discovery = {
        records: [],
        finished: false,
        onChange: () => {
          if (!discovery.finished || expected === undefined) return;
          // The library may emit the first frame of a type late (it loads each frame class on first use).
          if (discovery.records.length >= expected) done();
          else graceTimer ??= setTimeout(done, 200);
        },
      };
      const done = () => {
        clearTimeout(graceTimer);
        if (this.discovery === discovery) this.discovery = undefined;
        resolve(discovery.records);
      };
      this.discovery = discovery;
      session.conn.sendFrameAsync(new GW_GET_ALL_NODES_INFORMATION_REQ(), timeoutMs / 1000).then(
        (cfm) => {
          const c = cfm as IGW_FRAME_RCV & { Status: number; NumberOfNode: number };
          if (c.Status !== 0 && c.NumberOfNode !== 0) {
            this.discovery = undefined;
            reject(new SessionError(`the KLF 200 could not list its products (status ${c.Status})`, 'other'));
            return;
          }
          expected = c.NumberOfNode;
          if (expected === 0) discovery.finished = true;
          discovery.onChange();
        },
        (err: unknown) => {
          this.discovery = undefined;
          reject(err instanceof Error ? err : new Error(errorText(err)));
        },
      );
    });
  }

  /**
   * GW_GET_LIMITATION_STATUS (minimum, main parameter); the answer is GW_LIMITATION_STATUS_NTF
   * (handled by the gateway), the end GW_SESSION_FINISHED_NTF, which resolves this.
   */
  readLimitation(session: Session, nodeId: number, timeoutMs: number): Promise<void> {
    const frame = new GW_GET_LIMITATION_STATUS_REQ(nodeId, 0 /* minimum */, 0 /* main parameter */);
    const sessionId = frame.SessionID;
    return new Promise<void>((resolve, reject) => {
      this.sessionWaiters.set(sessionId, resolve);
      session.conn.sendFrameAsync(frame, timeoutMs / 1000).then(
        (cfm) => {
          if ((cfm as IGW_FRAME_RCV & { Status: number }).Status !== COMMAND_ACCEPTED) {
            this.sessionWaiters.delete(sessionId);
            reject(new SessionError('the KLF 200 refused to read a limitation', 'other'));
          }
        },
        (err: unknown) => {
          this.sessionWaiters.delete(sessionId);
          reject(err instanceof Error ? err : new Error(errorText(err)));
        },
      );
    });
  }
}
