/** Work waiting for a slot of one lane. */
interface Waiting {
  start: () => void;
}

/** One request's share of one lane. */
interface Flow {
  owner: object;
  queue: Waiting[];
  running: number;
  /** When this flow last got a slot (a new flow: never, so it goes first among equals). */
  servedAt: number;
}

/**
 * At most `limit` calls in flight to one endpoint, shared fairly between requests: when a slot
 * frees, the request with the fewest calls in flight on this lane goes next (ties: the one
 * served least recently, so equals take turns), so a one-record request waits for at most one call to finish, however
 * many records the other requests carry.
 */
export class FairLane {
  private running = 0;
  private turns = 0;
  private readonly flows = new Map<object, Flow>();

  constructor(private readonly limit: number) {}

  /** Calls in flight and waiting, for tests and the admin view. */
  get load(): { running: number; waiting: number } {
    let waiting = 0;
    for (const flow of this.flows.values()) waiting += flow.queue.length;
    return { running: this.running, waiting };
  }

  /** Runs `task` when this lane has a slot for `owner` (one owner per request). */
  run<T>(owner: object, task: () => Promise<T>): Promise<T> {
    let flow = this.flows.get(owner);
    if (!flow) this.flows.set(owner, (flow = { owner, queue: [], running: 0, servedAt: -1 }));
    const mine = flow;
    return new Promise<T>((resolve, reject) => {
      mine.queue.push({
        start: () => {
          mine.running++;
          this.running++;
          task()
            .then(resolve, reject)
            .finally(() => {
              mine.running--;
              this.running--;
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
      let next: Flow | undefined;
      for (const flow of this.flows.values()) {
        if (flow.queue.length > 0 && (!next || flow.running < next.running || (flow.running === next.running && flow.servedAt < next.servedAt))) next = flow;
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

  constructor(readonly limitPerEndpoint: number) {}

  lane(endpointName: string): FairLane {
    let lane = this.lanes.get(endpointName);
    if (!lane) this.lanes.set(endpointName, (lane = new FairLane(this.limitPerEndpoint)));
    return lane;
  }
}
