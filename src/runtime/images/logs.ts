/**
 * Container logs, as `kubectl logs` reads them from the kubelet: each container keeps its last lines (the
 * kubelet rotates container logs; 1000 lines are kept here), stdout and stderr interleaved as written.
 */
export const LOG_LINES = 1000;

export class ContainerLog {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly max = LOG_LINES) {}

  /** One whole line (no newline). */
  line(text: string): void {
    this.lines.push(text);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** A chunk of a stream: complete lines are kept, the rest waits for its newline. */
  write(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.line(p.endsWith('\r') ? p.slice(0, -1) : p);
  }

  /** Ends the stream: a last line without newline is kept. */
  flush(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  snapshot(): string[] {
    return [...this.lines];
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** nginx's $time_local, in UTC: `25/Nov/2026:22:13:20 +0000`. */
export function nginxTime(d: Date): string {
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Go's log package prefix (LstdFlags), in UTC: `2026/11/25 22:13:20`. */
export function goLogTime(d: Date): string {
  return `${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
