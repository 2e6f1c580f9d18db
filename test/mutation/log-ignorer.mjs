// A StrykerJS ignorer: mutants inside the arguments of a log call (`log.info(...)`,
// `deps.log.warn(...)`, `runLog.error(...)`) are not generated. What a log line says is for
// people; the tests deliberately assert behaviour, not log wording, so such mutants can only
// survive. docs/mutation.md lists this as the one class of mutants excluded from the score.
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

function isLogger(node) {
  if (node.type === 'Identifier') return /log$/i.test(node.name);
  if (node.type === 'MemberExpression' && !node.computed && node.property.type === 'Identifier')
    return /log$/i.test(node.property.name);
  return false;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'log-text', {
    shouldIgnore(path) {
      const call = path.parentPath;
      if (path.listKey !== 'arguments' || !call?.isCallExpression()) return undefined;
      const callee = call.node.callee;
      if (
        callee.type === 'MemberExpression' &&
        !callee.computed &&
        callee.property.type === 'Identifier' &&
        LEVELS.has(callee.property.name) &&
        isLogger(callee.object)
      )
        return 'log text: what a log line says is not behaviour the tests assert';
      return undefined;
    },
  }),
];
