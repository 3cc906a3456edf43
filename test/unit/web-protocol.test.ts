import { describe, expect, it } from 'vitest';
import { decodeWebText, parseFrames, parseTrailer } from '../../src/grpc/web-protocol.ts';

describe('gRPC-Web-text decoding', () => {
  it('decodes one base64 body', () => {
    expect([...decodeWebText(Buffer.from([0, 0, 0, 0, 2, 8, 1]).toString('base64'))]).toEqual([0, 0, 0, 0, 2, 8, 1]);
  });

  it('decodes several padded chunks sent one after another, ignoring line breaks', () => {
    const a = Buffer.from([0, 0, 0, 0, 1, 9]).toString('base64');
    const b = Buffer.from([128, 0, 0, 0, 0]).toString('base64');
    expect(a.endsWith('=') || b.endsWith('=')).toBe(true);
    expect([...decodeWebText(`${a}\n${b}`)]).toEqual([0, 0, 0, 0, 1, 9, 128, 0, 0, 0, 0]);
  });
});

describe('gRPC-Web frames', () => {
  it('splits message and trailer frames and parses trailer fields', () => {
    const trailer = Buffer.from('grpc-status: 16\r\ngrpc-message: log%20in\r\n');
    const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 7]), Buffer.from([0x80, 0, 0, 0, trailer.length]), trailer]);
    const frames = parseFrames(body);
    expect(frames.map((frame) => frame.trailer)).toEqual([false, true]);
    expect([...(frames[0]?.data ?? [])]).toEqual([7]);
    expect(parseTrailer(frames[1]?.data ?? new Uint8Array())).toEqual([['grpc-status', '16'], ['grpc-message', 'log%20in']]);
  });
});
