import { AppError } from '../errors.js';
import type { CommonOptions, Output } from './context.js';

export async function demoCommand(_opts: CommonOptions, _output: Output): Promise<number> {
  throw new AppError('NOT_READY', 'demo is not available yet');
}
