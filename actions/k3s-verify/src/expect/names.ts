import { z } from 'zod';

// RFC 1123 names as Kubernetes validates them (namespaces and container names are labels).
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
export const isLabel = (s: string) => s.length <= 63 && LABEL.test(s);
export const isSubdomain = (s: string) => s.length <= 253 && SUBDOMAIN.test(s);

export const labelSchema = (what: string) =>
  z.string({ error: `expected ${what}` }).refine(isLabel, { error: `expected ${what}` });
export const subdomainSchema = (what: string) =>
  z.string({ error: `expected ${what}` }).refine(isSubdomain, { error: `expected ${what}` });
