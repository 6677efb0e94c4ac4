import { simpleDocument, startTestUpstream, type TestUpstream } from '@gatehouse/gateway/testing';

/** An upstream whose answers say how many requests it has served, so a cached answer is recognisable. */
export async function countingUpstream(): Promise<TestUpstream> {
  let served = 0;
  return startTestUpstream((req, res) => {
    served++;
    const text = JSON.stringify({ served, url: req.url });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    };
    if (req.url?.includes('private')) headers['cache-control'] = 'private';
    if (req.url?.includes('vary')) headers.vary = 'accept-language';
    res.writeHead(200, headers);
    res.end(text);
  });
}

export const cacheDocument = (url: string) =>
  simpleDocument(url, { policies: [{ policy: 'cache', config: { ttl: '1m' } }] });
