import { ByteSize } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const RequestSizeConfig = Type.Object(
  {
    max: Type.Optional(
      ByteSize(
        'Largest request body accepted (413 beyond). A Content-Length above it is refused at once; a chunked body is buffered up to this size to be measured, so keep it moderate.',
        '1mb',
      ),
    ),
  },
  { additionalProperties: false, description: 'Limits the size of request bodies, before security.' },
);
/** After validation `max` is present. */
export type RequestSizeConfig = Required<Static<typeof RequestSizeConfig>>;
