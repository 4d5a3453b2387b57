/**
 * What every domain of the control API declares its routes and builds its handlers with: the
 * response shapes (`json`, `failure`, `sse`), the shared error response sets, and `domainApp`,
 * an OpenAPIHono app whose failed validations answer a 400 with the `issues`.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { validationBody } from '../http-errors';
import { errorBodySchema } from '../../contract/schemas/common';

export const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
export const failure = (description: string) => json(errorBodySchema, description);
export const sse = (description: string) => ({ description, content: { 'text/event-stream': { schema: z.string().openapi({ description }) } } });

export const E400 = { 400: failure('Invalid request: the `issues` say what and where') };
export const E404 = { 404: failure('No such service, profile or route') };
export const E500 = { 500: failure('The engine failed') };
export const E501 = { 501: failure('The engine has no such feature (NOT_AVAILABLE)') };

/** An app to declare routes on: a request its schemas reject answers 400 with the `issues`. */
export function domainApp() {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return c.json(validationBody(result.target, result.error), 400);
    },
  });
}
