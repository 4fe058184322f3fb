import { z } from 'zod';
import { Invalid } from '../../../../shared/inputs.js';
import { isLabel, isSubdomain, labelSchema, subdomainSchema } from './names.js';
import { parseQuantity, type Quantity } from './quantity.js';
import { lineOr } from './yaml-items.js';

/**
 * A PersistentVolumeClaim that must be Bound: `namespace/claim`, optionally with the storage class it must
 * use and the least capacity it must have. Line form: `rustdesk/hbbs-data storage-class=local-path size=1Gi`
 * (the same keys as the YAML mapping).
 */
export interface VolumeExpectation {
  namespace: string;
  claim: string;
  storageClass?: string;
  size?: Quantity;
}

export const VOLUME_EXPECTED = 'namespace/claim [storage-class=<name>] [size=<quantity such as 1Gi>]';

export function volumeId(v: { namespace: string; claim: string }): string {
  return `pvc/${v.namespace}/${v.claim}`;
}

export function parseVolumeLine(line: string): VolumeExpectation | Invalid {
  const [ref, ...options] = line.trim().split(/\s+/);
  const parts = (ref ?? '').split('/');
  if (parts.length !== 2) return new Invalid(VOLUME_EXPECTED);
  const [namespace, claim] = parts;
  if (!isLabel(namespace)) return new Invalid('a namespace name (lower-case letters, digits and -)');
  if (!isSubdomain(claim)) return new Invalid('a claim name (lower-case letters, digits, - and .)');
  const out: VolumeExpectation = { namespace, claim };
  for (const option of options) {
    const eq = option.indexOf('=');
    const key = option.slice(0, eq);
    const value = option.slice(eq + 1);
    if (eq < 0 || (key !== 'storage-class' && key !== 'size') || key in optionsSeen(out))
      return new Invalid(VOLUME_EXPECTED);
    if (key === 'storage-class') {
      if (!isSubdomain(value)) return new Invalid('a storage class name after storage-class=');
      out.storageClass = value;
    } else {
      const size = parseQuantity(value);
      if (!size || size.num <= 0n) return new Invalid('a size such as 1Gi or 500M after size=');
      out.size = size;
    }
  }
  return out;
}

function optionsSeen(v: VolumeExpectation): Record<string, true> {
  return {
    ...(v.storageClass !== undefined ? { 'storage-class': true as const } : {}),
    ...(v.size !== undefined ? { size: true as const } : {}),
  };
}

const sizeSchema = z
  .union([z.string(), z.number()], { error: 'expected a size such as 1Gi or 500M' })
  .transform((raw, ctx) => {
    const q = parseQuantity(String(raw));
    if (q && q.num > 0n) return q;
    ctx.addIssue({ code: 'custom', message: 'expected a size such as 1Gi or 500M', input: raw });
    return z.NEVER;
  });

export const afterSchema = z
  .array(z.string({ error: 'expected the id of another expectation' }), {
    error: 'expected a list of ids of other expectations',
  })
  .min(1, { error: 'expected at least one id' });

export interface VolumeItem {
  volume: VolumeExpectation;
  after?: string[];
}

/** `volumes:` items in the YAML: the line form or `{ namespace, claim, storage-class?, size?, after? }`. */
export const volumeItem = lineOr<VolumeItem>(
  (line) => {
    const volume = parseVolumeLine(line);
    return volume instanceof Invalid ? volume : { volume };
  },
  VOLUME_EXPECTED,
  z
    .strictObject({
      namespace: labelSchema('a namespace name'),
      claim: subdomainSchema('a claim name'),
      'storage-class': subdomainSchema('a storage class name').optional(),
      size: sizeSchema.optional(),
      after: afterSchema.optional(),
    })
    .transform(({ namespace, claim, 'storage-class': storageClass, size, after }) => ({
      volume: {
        namespace,
        claim,
        ...(storageClass !== undefined ? { storageClass } : {}),
        ...(size !== undefined ? { size } : {}),
      },
      ...(after ? { after } : {}),
    })),
);
