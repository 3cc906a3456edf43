import { describe, expect, it } from 'vitest';
import { decodeWebText, encodeGrpcMessage, parseFrames, parseTrailer, respellGrpcMessage } from '../../src/grpc/web-protocol.ts';

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

describe('grpc-message encoding (gRPC spec: percent-encode bytes outside 0x20-0x7E, and "%")', () => {
  it('keeps every printable ASCII character but "%" as it is', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index)).join('');
    expect(encodeGrpcMessage(printable)).toBe(printable.replace('%', '%25'));
    expect(encodeGrpcMessage('wrong username or password')).toBe('wrong username or password');
  });

  it('percent-encodes control characters, DEL and each UTF-8 byte of other text, in upper-case hex', () => {
    expect(encodeGrpcMessage('a\tb\nc\u007f')).toBe('a%09b%0Ac%7F');
    expect(encodeGrpcMessage('ü')).toBe('%C3%BC');
    expect(encodeGrpcMessage('余额不足')).toBe('%E4%BD%99%E9%A2%9D%E4%B8%8D%E8%B6%B3');
    expect(encodeGrpcMessage('100% 🙂')).toBe('100%25 %F0%9F%99%82');
  });

  it('is what decodeURIComponent (every gRPC-Web client) turns back into the message', () => {
    for (const message of ['wrong username or password', 'id "ü 100%" is not a UUID', '余额不足: 0.00 < 9.90', 'line\nbreak']) {
      expect(decodeURIComponent(encodeGrpcMessage(message))).toBe(message);
    }
  });

  it('re-encodes what connect-es wrote (encodeURIComponent), keeping a value that is not percent-encoding', () => {
    expect(respellGrpcMessage(encodeURIComponent('wrong username or password'))).toBe('wrong username or password');
    expect(respellGrpcMessage(encodeURIComponent('id "ü 100%"'))).toBe('id "%C3%BC 100%25"');
    expect(respellGrpcMessage('50%')).toBe('50%');
  });
});
