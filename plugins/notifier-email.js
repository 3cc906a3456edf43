// notifier-email.js — notifications as e-mail through SMTP (host API smtp_send).
//
// The config holds the mail server; each notification goes to its `recipient` with `title` as the
// subject and `body` as the text. `encryption`: "ssl" (implicit TLS, usually port 465), "starttls"
// (usually 587) or "none". `tls_reject_unauthorized: "false"` accepts a self-signed server
// certificate (a local relay).

function config_schema(_config, _unused) {
  return {
    type: 'object',
    required: ['smtp_host', 'smtp_port', 'from'],
    properties: {
      smtp_host: { type: 'string', description: 'SMTP server host' },
      smtp_port: { type: 'integer', minimum: 1, maximum: 65535, default_value: '465', description: 'SMTP port' },
      from: { type: 'string', description: 'Sender address, e.g. "NodeBill <billing@example.com>"' },
      username: { type: 'string', description: 'SMTP user name (optional)' },
      password: { type: 'string', format: 'password', description: 'SMTP password (optional)' },
      encryption: { type: 'string', enum: ['ssl', 'starttls', 'none'], default_value: 'ssl', description: 'Transport security' },
      tls_reject_unauthorized: { type: 'string', enum: ['true', 'false'], default_value: 'true', description: 'Verify the server certificate' },
      content_type: { type: 'string', enum: ['text/plain', 'text/html'], default_value: 'text/plain', description: 'Body format' },
      supported_events: { type: 'array', items: { type: 'string' }, description: 'Event types to deliver; empty = all events' },
    },
  };
}

function version(_config, _unused) {
  return '1.0.0';
}

function initialize(config, _unused) {
  for (const key of ['smtp_host', 'smtp_port', 'from']) {
    if (text(config[key]) === '') return `ERROR: email notifier is not configured: ${key} is missing`;
  }
  return 'OK';
}

function health_check(config, _unused) {
  for (const key of ['smtp_host', 'smtp_port', 'from']) {
    if (text(config[key]) === '') return { healthy: false, error: `${key} is missing` };
  }
  return true;
}

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
  const to = text(merged.recipient);
  if (!/^[^\s@]+@[^\s@]+$/.test(to.replace(/^.*<([^>]+)>$/, '$1'))) return `ERROR: recipient ${JSON.stringify(to)} is not an e-mail address`;
  const smtp = {
    smtp_host: text(merged.smtp_host),
    smtp_port: text(merged.smtp_port),
    from: text(merged.from),
    username: text(merged.username),
    password: text(merged.password),
    encryption: text(merged.encryption),
    tls_reject_unauthorized: text(merged.tls_reject_unauthorized) || 'true',
  };
  const email = {
    to,
    subject: text(merged.title) || text(merged.event_type) || 'Notification',
    body: merged.body === undefined || merged.body === null ? '' : String(merged.body),
    content_type: text(merged.content_type) || 'text/plain',
  };
  await rustbill_host.smtp_send(JSON.stringify(smtp), JSON.stringify(email));
  rustbill_host.log_info(`email sent to ${to}: ${text(merged.event_type)}`);
  return 'OK';
}

function text(value) {
  if (value === undefined || value === null) return '';
  return String(value).trim();
}
