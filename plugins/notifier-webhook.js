// notifier-webhook.js — notifications as a JSON POST to a configured URL.
//
// Request: POST <url>, Content-Type: application/json, body
//   {"event_type":"order.paid","title":"…","body":"…","recipient":"…","timestamp":"2026-01-01T00:00:00.000Z"}
// When `secret` is configured the request also carries
//   X-Signature: sha256=<hex HMAC-SHA256(secret, raw request body)>
// so the receiver can check that the message comes from this server (compute the HMAC over the
// exact bytes received and compare in constant time). The timestamp inside the signed body lets
// receivers refuse replays. `X-Webhook-Event` repeats the event type for routing.
// Any answer other than 2xx fails the call ("ERROR: webhook <url> answered HTTP <status>").

function config_schema(_config, _unused) {
  return {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', description: 'Webhook URL (http or https)' },
      secret: { type: 'string', format: 'password', description: 'HMAC-SHA256 signing secret (optional): X-Signature: sha256=<hex>' },
      supported_events: {
        type: 'array',
        items: { type: 'string' },
        description: 'Event types to deliver, e.g. ["order.paid"]; empty = all events',
      },
    },
  };
}

function version(_config, _unused) {
  return '1.0.0';
}

function initialize(config, _unused) {
  return validUrl(config.url) ? 'OK' : `ERROR: webhook url ${JSON.stringify(text(config.url))} is not an http(s) URL`;
}

function health_check(config, _unused) {
  // A webhook receiver has no standard probe; healthy when the URL is usable.
  return validUrl(config.url) ? true : { healthy: false, error: 'url is missing or not an http(s) URL' };
}

// The configured event types ([] = every event). Accepts an array or a comma-separated string.
function supported_events(config, _unused) {
  const events = config.supported_events;
  if (Array.isArray(events)) return events.map(text).filter((event) => event !== '');
  return text(events).split(',').map(text).filter((event) => event !== '');
}

function templates(_config, _unused) {
  return {};
}

// send(config + {event_type, title, body, recipient})
async function send(merged, _unused) {
  const url = text(merged.url);
  if (!validUrl(url)) return `ERROR: webhook url ${JSON.stringify(url)} is not an http(s) URL`;
  const payload = JSON.stringify({
    event_type: text(merged.event_type),
    title: text(merged.title),
    body: text(merged.body),
    recipient: text(merged.recipient),
    timestamp: new Date().toISOString(),
  });
  const headers = { 'X-Webhook-Event': text(merged.event_type) };
  const secret = text(merged.secret);
  if (secret !== '') headers['X-Signature'] = `sha256=${rustbill_host.hmac_sha256_hex(secret, payload)}`;

  // http_request_bytes (NodeBill) returns the status too, so a refused delivery fails the call and
  // the notification can be retried. Its body argument is base64.
  const answer = await rustbill_host.http_request_bytes('POST', url, rustbill_host.base64_encode(payload), 'application/json', headers);
  const response = typeof answer === 'string' ? JSON.parse(answer) : answer;
  const status = Number(response.status);
  if (status < 200 || status > 299) {
    const reply = rustbill_host.base64_decode(text(response.body_base64)).slice(0, 200);
    rustbill_host.log_warn(`webhook ${url} answered HTTP ${status} for ${text(merged.event_type)}`);
    return `ERROR: webhook ${url} answered HTTP ${status}${reply === '' ? '' : `: ${reply}`}`;
  }
  rustbill_host.log_info(`webhook sent to ${url}: ${text(merged.event_type)}`);
  return 'OK';
}

function validUrl(value) {
  return /^https?:\/\/[^\s/]+/i.test(text(value));
}

function text(value) {
  if (value === undefined || value === null) return '';
  return String(value).trim();
}
