/** A mode as `ls` and `chmod` write it: "0640". */
export function formatMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}
