/** The last few problems worth showing an operator in the control plane (sent with each heartbeat). */
export class RecentErrors {
  private readonly items: Array<{ at: string; message: string }> = [];

  constructor(private readonly capacity = 20) {}

  add(message: string): void {
    this.items.push({ at: new Date().toISOString(), message: message.slice(0, 2000) });
    if (this.items.length > this.capacity) this.items.shift();
  }

  list(): Array<{ at: string; message: string }> {
    return [...this.items];
  }
}
