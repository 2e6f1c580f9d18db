/**
 * A count with its noun, singular or plural: `counted(1, 'file')` is "1 file", `counted(2,
 * 'file')` "2 files". Nouns whose plural is not noun + "s" pass it.
 */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? noun : plural}`;
}
