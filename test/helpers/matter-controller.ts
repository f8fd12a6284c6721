/**
 * A real Matter controller (matter.js CommissioningController) for end-to-end tests: commissions
 * a Homebridge bridge over loopback with the passcode Homebridge prints, reads its bridged
 * endpoints, invokes commands and collects attribute reports.
 *
 * matter.js finds a node's operational address by mDNS, which does not run on loopback: the
 * controller is given the bridge's address, and keeps it as the peer's operational address, so
 * reconnects (after commissioning, after a bridge restart) go straight to 127.0.0.1:<port>.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Environment, Logger } from '@matter/main';
import {
  BridgedDeviceBasicInformation,
  Descriptor,
  GeneralCommissioning,
} from '@matter/main/clusters';
import { EndpointNumber, type NodeId } from '@matter/main/types';
import { CommissioningController } from '@project-chip/matter.js';
import type { PairedNode } from '@project-chip/matter.js/device';

export interface AttributeReport {
  at: number;
  endpoint: number;
  cluster: number;
  attribute: string;
  value: unknown;
}

export interface BridgedEndpoint {
  endpoint: number;
  name: string;
  deviceTypes: number[];
  reachable: boolean;
  /** Child endpoints (composed devices: parts). */
  children: number[];
}

let environmentCounter = 0;

export class TestMatterController {
  readonly reports: AttributeReport[] = [];
  private node?: PairedNode;
  private nodeId?: NodeId;

  private constructor(
    private readonly controller: CommissioningController,
    private readonly storageDir: string,
    private readonly address: { ip: string; port: number },
  ) {}

  /** Starts a controller with its own storage (reuse `storageDir` to keep its fabric across controllers). */
  static async start(address: { ip: string; port: number }, storageDir?: string): Promise<TestMatterController> {
    Logger.level = 'error' as never;
    const dir = storageDir ?? mkdtempSync(join(tmpdir(), 'velux-matter-controller-'));
    // The default environment carries the Node.js platform (crypto, network, storage).
    const environment = Environment.default;
    environment.vars.set('storage.path', dir);
    environment.vars.set('mdns.networkInterface', 'lo');
    const controller = new CommissioningController({
      environment: { environment, id: `controller-${++environmentCounter}` },
      autoConnect: false,
      adminFabricLabel: 'VELUX test',
    });
    await controller.start();
    return new TestMatterController(controller, dir, address);
  }

  get storage(): string {
    return this.storageDir;
  }

  /** Commissions the bridge with its passcode and discriminator, at the given loopback address. */
  async commission(passcode: number, discriminator: number): Promise<NodeId> {
    this.nodeId = await this.controller.commissionNode(
      {
        commissioning: { regulatoryLocation: GeneralCommissioning.RegulatoryLocationType.IndoorOutdoor, regulatoryCountryCode: 'XX' },
        discovery: {
          knownAddress: { ip: this.address.ip, port: this.address.port, type: 'udp' },
          identifierData: { longDiscriminator: discriminator },
          timeout: 30 as never,
        },
        passcode,
      },
      { connectNodeAfterCommissioning: false },
    );
    return this.nodeId;
  }

  /** Connects (subscribing to everything) to the commissioned node and waits until its data is read. */
  async connect(timeoutMs = 60_000): Promise<PairedNode> {
    const nodeId = this.nodeId ?? this.controller.getCommissionedNodes()[0];
    if (nodeId === undefined) throw new Error('no commissioned node');
    this.nodeId = nodeId;
    // connectNode hands the subscription floor to the node (getNode + connect() keeps the 1 s default,
    // which merges a short movement into one report).
    const node = await this.controller.connectNode(nodeId, { subscribeMinIntervalFloorSeconds: 0 });
    this.node = node;
    node.events.attributeChanged.on(({ path, value }) => {
      this.reports.push({ at: performance.now(), endpoint: Number(path.endpointId), cluster: Number(path.clusterId), attribute: path.attributeName, value });
    });
    if (!node.remoteInitializationDone) {
      const initialized = new Promise<void>((resolve) => node.events.initializedFromRemote.once(() => resolve()));
      await within(initialized, timeoutMs, 'the controller to read the bridge');
    }
    return node;
  }

  get paired(): PairedNode {
    if (!this.node) throw new Error('not connected');
    return this.node;
  }

  /** Every bridged endpoint (children of the aggregator) with its name, device types and reachability. */
  async bridged(): Promise<BridgedEndpoint[]> {
    const client = await this.paired.getInteractionClient();
    const reports = await client.getMultipleAttributes({
      attributes: [
        { clusterId: Descriptor.Cluster.id, attributeId: Descriptor.Cluster.attributes.deviceTypeList.id },
        { clusterId: Descriptor.Cluster.id, attributeId: Descriptor.Cluster.attributes.partsList.id },
        { clusterId: BridgedDeviceBasicInformation.Cluster.id, attributeId: BridgedDeviceBasicInformation.Cluster.attributes.nodeLabel.id },
        { clusterId: BridgedDeviceBasicInformation.Cluster.id, attributeId: BridgedDeviceBasicInformation.Cluster.attributes.reachable.id },
      ],
    });
    const byEndpoint = new Map<number, { deviceTypes?: number[]; parts?: number[]; name?: string; reachable?: boolean }>();
    for (const r of reports) {
      const ep = Number(r.path.endpointId);
      const entry = byEndpoint.get(ep) ?? {};
      if (r.path.clusterId === Descriptor.Cluster.id && r.path.attributeName === 'deviceTypeList') {
        entry.deviceTypes = (r.value as Array<{ deviceType: number }>).map((d) => Number(d.deviceType));
      } else if (r.path.attributeName === 'partsList') {
        entry.parts = (r.value as number[]).map(Number);
      } else if (r.path.attributeName === 'nodeLabel') {
        entry.name = String(r.value);
      } else if (r.path.attributeName === 'reachable') {
        entry.reachable = Boolean(r.value);
      }
      byEndpoint.set(ep, entry);
    }
    const result: BridgedEndpoint[] = [];
    for (const [endpoint, e] of byEndpoint) {
      if (e.name === undefined) continue;
      result.push({ endpoint, name: e.name, deviceTypes: e.deviceTypes ?? [], reachable: e.reachable ?? false, children: e.parts ?? [] });
    }
    return result;
  }

  /** Device types of any endpoint (parts included). */
  async deviceTypes(endpoint: number): Promise<number[]> {
    const value = await this.read(endpoint, Descriptor.Cluster.id, Descriptor.Cluster.attributes.deviceTypeList.id);
    return (value as Array<{ deviceType: number }>).map((d) => Number(d.deviceType));
  }

  async read(endpoint: number, clusterId: number, attributeId: number): Promise<unknown> {
    const client = await this.paired.getInteractionClient();
    const reports = await client.getMultipleAttributes({
      attributes: [{ endpointId: EndpointNumber(endpoint), clusterId: clusterId as never, attributeId: attributeId as never }],
    });
    if (reports.length === 0) throw new Error(`no attribute ${clusterId}/${attributeId} on endpoint ${endpoint}`);
    return reports[0]!.value;
  }

  /** Invokes a command; resolves on success, rejects with the node's status on failure. */
  async invoke(endpoint: number, command: unknown, clusterId: number, request?: unknown): Promise<void> {
    const client = await this.paired.getInteractionClient();
    await client.invoke({
      endpointId: EndpointNumber(endpoint),
      clusterId: clusterId as never,
      command: command as never,
      request: request as never,
    });
  }

  async close(): Promise<void> {
    await this.controller.close().catch(() => undefined);
  }

  async dispose(): Promise<void> {
    await this.close();
    rmSync(this.storageDir, { recursive: true, force: true });
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (${ms} ms)`)), ms);
    }),
  ]);
}
