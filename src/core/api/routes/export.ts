/**
 * POST /v1/export (docs/export.md): the stack's opsdeck.yaml, as it is now, mapped onto Docker
 * Compose or Kubernetes: the files, each key's mapping and the notes; written into `out_dir` only
 * when asked. An engine served without its stack folder answers 501.
 */
import path from 'node:path';
import { createRoute } from '@hono/zod-openapi';
import { exportStack, parseImageMap } from '../../export';
import { notAvailable } from '../http-errors';
import { exportRequestSchema, exportResultSchema } from '../../contract/schemas/export';
import { domainApp, E400, E500, E501, json } from './declare';

const route = createRoute({
  method: 'post',
  path: '/v1/export',
  operationId: 'exportStack',
  tags: ['export'],
  summary: 'The stack as a Docker Compose file or Kubernetes manifests, with what maps where and what does not',
  request: { body: { content: { 'application/json': { schema: exportRequestSchema } }, required: true } },
  responses: { 200: json(exportResultSchema, 'The files, the mapping of each key, the notes, the check'), ...E400, ...E500, ...E501 },
});

/** The export route, for the stack in `stackDir`. */
export function exportApi(stackDir: string | undefined) {
  return domainApp().openapi(route, async (c) => {
    if (!stackDir) throw notAvailable('export');
    const body = c.req.valid('json');
    const imageMap = parseImageMap(JSON.stringify(body.image_map ?? {}), 'image_map');
    const result = await exportStack(stackDir, {
      target: body.target,
      imageMap,
      ...(body.profile !== undefined ? { profile: body.profile } : {}),
      ...(body.base_image !== undefined ? { baseImage: body.base_image } : {}),
      ...(body.out_dir !== undefined ? { outDir: path.resolve(stackDir, body.out_dir) } : {}),
      check: !!body.check,
      dryRun: body.out_dir === undefined || !!body.dry_run,
    });
    return c.json(body.out_dir === undefined ? { ...result, written: [], kept: [] } : result, 200);
  });
}
