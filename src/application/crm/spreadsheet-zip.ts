/**
 * A first look at the bytes of an uploaded spreadsheet, before exceljs opens it: is it an .xlsx at
 * all, and how large does it expand? An .xlsx is a zip archive holding `xl/workbook.xml`; this
 * reads the archive's central directory (the list of entries at its end, no decompression) to
 * tell an .xlsx from an old .xls, a CSV or other text, an .xlsb, an OpenDocument spreadsheet or a
 * damaged download, each with a short reason for the person uploading it.
 *
 * It also refuses archives whose entries declare more than a given number of uncompressed bytes
 * (a "zip bomb": exceljs decompresses every entry in memory). The declared sizes are what the
 * archive says, not proven: an archive that lies about them is caught only by jszip after
 * decompressing (a size mismatch), so `maxBytes` on the upload stays the first line of defence.
 * Pure: no I/O.
 */
import { invalid, type DomainError } from '../../domain/errors.ts';

/** The refusal of bytes that are not a readable .xlsx: `reason` is one short sentence. */
export function notWorkbook(reason: string): DomainError {
  return invalid(`the file is not an Excel workbook (.xlsx): ${reason}`);
}

const SAVE_AS = 'open it in Excel (or another spreadsheet program) and save it as "Excel Workbook (.xlsx)"';

/** Signature of the old binary Office formats (OLE2 compound file): .xls, and encrypted .xlsx. */
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_ENTRY = 0x02014b50;
const EOCD_SIZE = 22;
const MAX_ZIP_COMMENT = 0xffff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

/** Decimal megabytes text of a byte count (binary MB: 1 MB = 1,048,576 bytes), for messages. */
export function megabytes(bytes: number): string {
  const mb = bytes / 1_048_576;
  return String(mb >= 1 ? Number(mb.toFixed(1)) : Number(mb.toPrecision(2)));
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.length >= signature.length && signature.every((byte, index) => bytes[index] === byte);
}

/** Whether the start of `bytes` reads as text (UTF-8 without NUL bytes, or UTF-16 with its mark). */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8_192);
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) return true;
  if (head.includes(0)) return false;
  try {
    // stream: a multi-byte character cut at the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The entries of a zip's central directory: names and declared uncompressed sizes. */
interface ZipDirectory {
  names: Set<string>;
  expandedBytes: number;
  encrypted: boolean;
}

/** Where the end-of-central-directory record starts, or -1. */
function findEndOfDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  const first = Math.max(0, last - MAX_ZIP_COMMENT);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === EOCD) return at;
  }
  return -1;
}

/** The central directory's start and entry count, or a reason the archive is damaged. */
function locateDirectory(view: DataView, eocd: number): { start: number; count: number } | string {
  const count = view.getUint16(eocd + 10, true);
  const size = view.getUint32(eocd + 12, true);
  const offset = view.getUint32(eocd + 16, true);
  if (count !== U16_MAX && size !== U32_MAX && offset !== U32_MAX) {
    // The directory ends where this record starts; counting back from here also copes with bytes
    // prepended to the archive (which shift every recorded offset).
    const start = eocd - size;
    return start < 0 ? 'it is a damaged zip archive' : { start, count };
  }
  // Zip64: the real figures are in the zip64 record the locator (just before this one) points to.
  const locator = eocd - 20;
  if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR) return 'it is a damaged zip archive';
  const record = Number(view.getBigUint64(locator + 8, true));
  if (record + 56 > view.byteLength || view.getUint32(record, true) !== ZIP64_EOCD) return 'it is a damaged zip archive';
  return { start: Number(view.getBigUint64(record + 48, true)), count: Number(view.getBigUint64(record + 32, true)) };
}

/** Reads the central directory, or returns why the archive is damaged. */
function readDirectory(bytes: Uint8Array): ZipDirectory | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = bytes.length >= EOCD_SIZE ? findEndOfDirectory(view) : -1;
  if (eocd < 0) return 'it is a damaged or incomplete zip archive (was the download or upload cut short?)';
  const located = locateDirectory(view, eocd);
  if (typeof located === 'string') return located;
  const names = new Set<string>();
  let expandedBytes = 0;
  let encrypted = false;
  let at = located.start;
  const utf8 = new TextDecoder('utf-8');
  for (let entry = 0; entry < located.count; entry++) {
    if (at + 46 > eocd || view.getUint32(at, true) !== CENTRAL_ENTRY) return 'it is a damaged zip archive';
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > eocd) return 'it is a damaged zip archive';
    let size = view.getUint32(at + 24, true);
    if (size === U32_MAX) size = zip64Size(view, at + 46 + nameLength, extraLength);
    encrypted ||= (flags & 1) === 1;
    expandedBytes += size;
    names.add(utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength)).replace(/^\//, ''));
    at = end;
  }
  return { names, expandedBytes, encrypted };
}

/** The uncompressed size in an entry's zip64 extra field (its first figure), or +Infinity. */
function zip64Size(view: DataView, extra: number, length: number): number {
  for (let at = extra; at + 4 <= extra + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === 0x0001 && size >= 8) return Number(view.getBigUint64(at + 4, true));
    at += 4 + size;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Refuses `bytes` that cannot be an .xlsx that exceljs reads, with the reason; returns when they
 * look like one.
 * @param maxExpandedBytes the most uncompressed bytes the archive's entries may declare in total
 * @throws DomainError invalid_argument "the file is not an Excel workbook (.xlsx): …", or naming
 *   the expanded size when the archive declares more than `maxExpandedBytes`
 */
export function checkWorkbookBytes(bytes: Uint8Array, maxExpandedBytes: number): void {
  if (bytes.length === 0) throw notWorkbook('the file is empty');
  if (startsWith(bytes, OLE2)) {
    throw notWorkbook(`it is an Excel 97-2003 workbook (.xls) or a password-protected workbook; remove any password, ${SAVE_AS}`);
  }
  if (!startsWith(bytes, [0x50, 0x4b])) {
    if (looksLikeText(bytes)) throw notWorkbook(`it is a text file (CSV?); ${SAVE_AS}`);
    throw notWorkbook('it is not a zip archive, as every .xlsx file is');
  }
  const directory = readDirectory(bytes);
  if (typeof directory === 'string') throw notWorkbook(directory);
  const { names } = directory;
  if (!names.has('xl/workbook.xml')) {
    if (names.has('xl/workbook.bin')) throw notWorkbook(`it is an Excel binary workbook (.xlsb); ${SAVE_AS}`);
    if (names.has('mimetype') && names.has('content.xml')) throw notWorkbook(`it is an OpenDocument file (.ods); ${SAVE_AS}`);
    throw notWorkbook('it is a zip archive that holds no workbook');
  }
  if (directory.encrypted) throw notWorkbook('its parts are encrypted');
  // exceljs reads worksheets from xl/worksheets/sheetN.xml only (the names Excel gives them).
  if (![...names].some((name) => /^xl\/worksheets\/sheet\d+\.xml$/.test(name))) {
    throw notWorkbook([...names].some((name) => name.startsWith('xl/worksheets/')) ? `its worksheets are stored under names this reader does not know; ${SAVE_AS} again` : 'it has no worksheet');
  }
  if (directory.expandedBytes > maxExpandedBytes) {
    throw invalid(`the file's contents expand to more than ${megabytes(maxExpandedBytes)} MB; split it into smaller files`);
  }
}
