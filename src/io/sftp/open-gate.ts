/**
 * How many files may be open on the server at once. It starts at the configured number, or
 * lower when the server announces its own limit (OpenSSH's limits@openssh.com). A server
 * that refuses an open while others are open has reached a limit it did not announce
 * (ProFTPD's per-session open files, a process file limit): `lower` brings the gate down to
 * what was open, and the refused open waits for a slot and is tried again.
 */
export class OpenGate {
  /** Slots taken: opens in flight and handles open. */
  private taken = 0;
  /** Handles the server has confirmed open and that are not closed yet. */
  private confirmed = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  /** The files that may be open at once now. */
  get limit(): number {
    return this.capacity;
  }

  /** Handles the server confirmed open and that are not closed yet. */
  get open(): number {
    return this.confirmed;
  }

  /** Waits for a slot. */
  acquire(): Promise<void> {
    if (this.taken < this.capacity && this.waiters.length === 0) {
      this.taken++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The open that holds a slot succeeded: its handle counts as open until `closed`. */
  opened(): void {
    this.confirmed++;
  }

  /** A handle was closed (its CLOSE sent: the server handles it before any later OPEN). */
  closed(): void {
    this.confirmed--;
    this.release();
  }

  /** Gives back a slot whose open failed. */
  release(): void {
    this.taken--;
    while (this.taken < this.capacity && this.waiters.length) {
      this.taken++;
      this.waiters.shift()?.();
    }
  }

  /**
   * An open was refused while `open` handles were open: lowers the limit to that number
   * (never below 1). Returns the new limit when it changed, else undefined.
   */
  lower(): number | undefined {
    const to = Math.max(1, Math.min(this.capacity, this.confirmed));
    if (to === this.capacity) return undefined;
    this.capacity = to;
    return to;
  }
}
