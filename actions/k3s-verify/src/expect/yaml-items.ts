import { z } from 'zod';
import { Invalid } from '../../../../shared/inputs.js';

/** A list item that is either the line syntax (a string) or a mapping. */
export function lineOr<T>(
  parse: (line: string) => T | Invalid,
  lineExpected: string,
  object: z.ZodType<T>,
  normalize?: (value: unknown) => unknown,
) {
  return z.unknown().transform((raw, ctx): T => {
    const value = normalize ? normalize(raw) : raw;
    if (typeof value === 'string') {
      const parsed = parse(value);
      if (!(parsed instanceof Invalid)) return parsed;
      ctx.addIssue({ code: 'custom', message: `expected ${parsed.expected ?? lineExpected}`, input: value });
      return z.NEVER;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `expected '${lineExpected}' or a mapping`, input: value });
      return z.NEVER;
    }
    const out = object.safeParse(value, { reportInput: true });
    if (out.success) return out.data;
    for (const issue of out.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}
