// Binary addresses as text the way glibc's inet_ntop() writes them, which is what Python's
// socket.inet_ntop() (and so Gunicorn's PROXY v2 reader) prints: the longest run of two or more
// zero groups (the first of equal runs) becomes "::", hex in lower case without leading zeros,
// and an IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) address ends in dotted form.

export function ipv4Text(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}

export function ipv6Text(bytes: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, index) => (bytes[2 * index] << 8) | bytes[2 * index + 1]);
  let best = { base: -1, length: 0 };
  let run = { base: -1, length: 0 };
  words.forEach((word, index) => {
    if (word !== 0) {
      run = { base: -1, length: 0 };
      return;
    }
    run = run.base === -1 ? { base: index, length: 1 } : { base: run.base, length: run.length + 1 };
    if (run.length > best.length) best = run;
  });
  if (best.length < 2) best = { base: -1, length: 0 };

  let text = '';
  for (let index = 0; index < 8; index += 1) {
    if (best.base !== -1 && index >= best.base && index < best.base + best.length) {
      if (index === best.base) text += ':';
      continue;
    }
    if (index !== 0) text += ':';
    const embedsIpv4 = index === 6 && best.base === 0
      && (best.length === 6 || (best.length === 5 && words[5] === 0xffff));
    if (embedsIpv4) return text + ipv4Text(bytes.subarray(12, 16));
    text += words[index].toString(16);
  }
  // A run reaching the end leaves its second colon to be written here.
  if (best.base !== -1 && best.base + best.length === 8) text += ':';
  return text;
}
