import { bool, duration, filePath, int, list, secretText, text, url } from '../../../shared/inputs.js';
import { reportArtifactInput } from '../../../shared/evidence.js';

import { forgeInputs } from '../../../shared/forge.js';
import {
  CONTAINERS_EXPECTED,
  PORT_EXPECTED,
  WORKLOAD_EXPECTED,
  parseContainersLine,
  parseNodeItem,
  parsePortLine,
  parseWorkloadLine,
} from './expect/expectations.js';
import { parseVolumeLine, VOLUME_EXPECTED } from './expect/volumes.js';

/** KUBECONFIG may list several files (kubectl merges them); the action reads one: the first. */
export function defaultKubeconfig(env: NodeJS.ProcessEnv): string {
  const first = (env.KUBECONFIG ?? '').split(':').find((p) => p.trim() !== '');
  return first ?? '~/.kube/config';
}

export const inputs = {
  kubeconfig: filePath({ expected: 'the path of a kubeconfig file' }).fallbackTo(defaultKubeconfig),
  // Its credentials (tokens, passwords, keys) are registered by kubeconfig.ts once it is parsed.
  'kubeconfig-content': secretText({
    multiline: true,
    registerLines: false,
    expected: 'a kubeconfig (YAML or JSON)',
  }),
  context: text({ pattern: /^\S{1,253}$/, expected: 'a kubeconfig context name' }),
  server: url({ protocols: ['https:', 'http:'], expected: 'an https URL of the Kubernetes API server' }),
  'tls-server-name': text({
    pattern: /^[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?$/,
    expected: 'a DNS name in the API server certificate',
  }),
  expect: text({ multiline: true, expected: 'YAML with the checks (see the README)' }),
  'expect-file': filePath({ mustExist: 'file', expected: 'the path of an existing YAML file' }),
  nodes: list({ item: parseNodeItem, itemExpected: 'a node count or node names' }),
  workloads: list({ item: parseWorkloadLine, itemExpected: WORKLOAD_EXPECTED }),
  containers: list({ item: parseContainersLine, itemExpected: CONTAINERS_EXPECTED }),
  ports: list({ item: parsePortLine, itemExpected: PORT_EXPECTED }),
  volumes: list({ item: parseVolumeLine, itemExpected: VOLUME_EXPECTED }),
  'system-components': bool().default('true'),
  'max-restarts': int({ min: 0, max: 1000 }).default('3'),
  'mounted-volumes': bool().default('true'),
  timeout: duration({ min: 1000, max: 6 * 3_600_000 }).default('5m'),
  interval: duration({ min: 1000, max: 600_000 }).default('5s'),
  'kubectl-binary': text({ pattern: /^[^\s]+$/, expected: 'a kubectl executable name or path' }).default(
    'kubectl',
  ),
  'report-artifact': reportArtifactInput,

  ...forgeInputs,
};
