/** Work waiting for a slot of one lane. */
interface Waiting {
  start: () => void;
}

/** One request's share of one lane. */
interface Flow {
  owner: object;
  bulk: boolean;
  queue: Waiting[];
  running: number;
  /** When this flow last got a slot (a new flow: never, so it goes first among equals). */
  servedAt: number;
}

/** Who a lane's calls belong to: one owner per request; bulk requests (many records) share a smaller budget. */
export interface LaneOwner {
  bulk: boolean;
}

/**
 * At most `limit` calls in flight to one endpoint, shared fairly between requests: when a slot
 * frees, the request with the fewest calls in flight on this lane goes next (ties: the one served
 * least recently, so equals take turns). Bulk requests together hold at most `bulkLimit` of the
 * slots: a call the gateway lets through joins the endpoint's own first-come queue, so what keeps
 * a one-record request fast under a flood of large requests is a short queue in front of it there,
 * not only its turn here.
 */
export class FairLane {
  private running = 0;
  private bulkRunning = 0;
  private turns = 0;
  private readonly flows = new Map<object, Flow>();

  constructor(
    private readonly limit: number,
    private readonly bulkLimit: number,
  ) {}

  /** Calls in flight and waiting, for tests and the admin view. */
  get load(): { running: number; bulkRunning: number; waiting: number } {
    let waiting = 0;
    for (const flow of this.flows.values()) waiting += flow.queue.length;
    return { running: this.running, bulkRunning: this.bulkRunning, waiting };
  }

  /** Runs `task` when this lane has a slot for `owner`. */
  run<T>(owner: LaneOwner, task: () => Promise<T>): Promise<T> {
    let flow = this.flows.get(owner);
    if (!flow) this.flows.set(owner, (flow = { owner, bulk: owner.bulk, queue: [], running: 0, servedAt: -1 }));
    const mine = flow;
    return new Promise<T>((resolve, reject) => {
      mine.queue.push({
        start: () => {
          mine.running++;
          this.running++;
          if (mine.bulk) this.bulkRunning++;
          task()
            .then(resolve, reject)
            .finally(() => {
              mine.running--;
              this.running--;
              if (mine.bulk) this.bulkRunning--;
              if (mine.running === 0 && mine.queue.length === 0) this.flows.delete(owner);
              this.dispatch();
            });
        },
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.running < this.limit) {
      const bulkFull = this.bulkRunning >= this.bulkLimit;
      let next: Flow | undefined;
      for (const flow of this.flows.values()) {
        if (flow.queue.length === 0 || (flow.bulk && bulkFull)) continue;
        if (!next || flow.running < next.running || (flow.running === next.running && flow.servedAt < next.servedAt)) next = flow;
      }
      if (!next) return;
      next.servedAt = this.turns++;
      next.queue.shift()!.start();
    }
  }
}

/** One FairLane per endpoint, created on first use. */
export class FairLanes {
  private readonly lanes = new Map<string, FairLane>();

  constructor(
    readonly limitPerEndpoint: number,
    readonly bulkLimitPerEndpoint: number,
  ) {}

  lane(endpointName: string): FairLane {
    let lane = this.lanes.get(endpointName);
    if (!lane) this.lanes.set(endpointName, (lane = new FairLane(this.limitPerEndpoint, this.bulkLimitPerEndpoint)));
    return lane;
  }
}
