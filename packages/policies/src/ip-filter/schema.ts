import Type, { type Static } from 'typebox';

const entries = (description: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description, default: [] }));

export const IpFilterConfig = Type.Object(
  {
    allow: entries(
      'Addresses or CIDR ranges (IPv4 or IPv6, e.g. `10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7`) allowed to call; when empty, every address not denied is allowed. IPv4-mapped IPv6 clients (`::ffff:1.2.3.4`) match IPv4 entries.',
    ),
    deny: entries(
      'Addresses or CIDR ranges refused with 403; a denied address is refused even when it is also allowed.',
    ),
  },
  { additionalProperties: false, description: 'Allows or denies clients by IP address, before security.' },
);
/** After validation both lists are present. */
export type IpFilterConfig = Required<Static<typeof IpFilterConfig>>;
