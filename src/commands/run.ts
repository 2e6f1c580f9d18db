import { AppError } from '../errors.js';
import type { CommonOptions, Output } from './context.js';

export async function runCommand(_opts: CommonOptions, _output: Output): Promise<number> {
  throw new AppError('NOT_READY', 'run is not available yet');
}
