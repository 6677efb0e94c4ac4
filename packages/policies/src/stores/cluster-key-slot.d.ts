/** The slot function ioredis routes Cluster commands by (its own dependency; the package ships no types). */
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
