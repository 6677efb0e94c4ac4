import Type from 'typebox';
const s = Type.Object({a: Type.String({format:'uuid'}), b: Type.Optional(Type.Integer())}, {additionalProperties:false});
console.log(JSON.stringify(s), Object.getOwnPropertySymbols(s), Object.keys(s));
import { PGlite } from '@electric-sql/pglite';
let t=Date.now();
const db = new PGlite();
await db.waitReady;
console.log('mem pglite ready', Date.now()-t, process.memoryUsage().rss/1e6);
const r = await db.query('select version()'); console.log(r.rows);
