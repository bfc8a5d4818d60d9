// Reads infra/template.yaml (YAML with CloudFormation's short-form tags: !Ref, !Sub, !If...) into
// the JSON form CloudFormation gives it, so the stack can reuse parts of it verbatim.
import * as fs from 'node:fs';
import { parse, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';

const INTRINSICS = [
  'Base64', 'Cidr', 'FindInMap', 'GetAZs', 'GetAtt', 'ImportValue', 'Join', 'Select', 'Split', 'Sub',
  'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'Ref', 'Condition',
];

/** One tag per intrinsic and YAML node kind: `!Ref X` is `{"Ref": "X"}`, `!If [...]` `{"Fn::If": [...]}`. */
function cloudFormationTags(): Tags {
  const tags: Tags = [];
  for (const name of INTRINSICS) {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    const wrap = (value: unknown) => {
      // `!GetAtt Resource.Attribute` is the short form of ["Resource", "Attribute"].
      if (name === 'GetAtt' && typeof value === 'string') {
        const dot = value.indexOf('.');
        return { [key]: [value.slice(0, dot), value.slice(dot + 1)] };
      }
      return { [key]: value };
    };
    tags.push({ tag: `!${name}`, resolve: (text: string) => wrap(text) });
    tags.push({ tag: `!${name}`, collection: 'seq', resolve: (seq: YAMLSeq) => wrap(seq.toJSON()) } as never);
    tags.push({ tag: `!${name}`, collection: 'map', resolve: (map: YAMLMap) => wrap(map.toJSON()) } as never);
  }
  return tags;
}

/** A CloudFormation resource as a template holds it. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [attribute: string]: unknown;
}

/** The parts of a template the stack reads. */
export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Condition?: string }>;
}

export function readTemplate(file: string): Template {
  return parse(fs.readFileSync(file, 'utf8'), { customTags: cloudFormationTags() }) as Template;
}
