//! The interface's stylesheet and script, served from the binary.

use axum::http::header;
use axum::response::IntoResponse;

/// `GET /ui/assets/app.css`.
pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

/// `GET /ui/assets/app.js`.
pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
}

const CSS: &str = r#"
:root { --ink: #1d2430; --muted: #5b6676; --line: #d9dee6; --bg: #f5f7fa; --card: #fff;
  --accent: #1f5fbf; --accent-ink: #fff; --warn-bg: #fff4d6; --warn: #7a5300;
  --bad: #a4161a; --ok-bg: #e6f4ea; --ok: #1e6b34; font-size: 15px; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); line-height: 1.45; }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 6px; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
header.top { display: flex; gap: 18px; align-items: center; padding: 8px 20px;
  background: #15233b; color: #fff; flex-wrap: wrap; }
header.top a { color: #dfe7f5; text-decoration: none; }
header.top a:hover { color: #fff; text-decoration: underline; }
header.top .brand { font-weight: 700; font-size: 1.15rem; color: #fff; }
header.top nav { display: flex; gap: 14px; }
header.top form.search { flex: 1; min-width: 200px; max-width: 520px; }
header.top form.search input { width: 100%; padding: 7px 10px; border-radius: 6px; border: 0; }
header.top .user { display: flex; gap: 10px; align-items: center; font-size: .9rem; color: #c9d4e6; }
header.top .user form { margin: 0; }
button.link { background: none; border: 0; color: var(--accent); cursor: pointer; padding: 0;
  text-decoration: underline; font: inherit; }
header.top button.link { color: #dfe7f5; }
button.link.danger { color: var(--bad); }
main { padding: 16px 20px 40px; max-width: 1280px; margin: 0 auto; }
nav.crumbs ol { list-style: none; display: flex; gap: 6px; padding: 10px 20px 0; margin: 0 auto;
  max-width: 1280px; font-size: .9rem; flex-wrap: wrap; }
nav.crumbs li + li::before { content: "›"; color: var(--muted); margin-right: 6px; }
h1 { font-size: 1.5rem; margin: 8px 0 14px; }
h2 { font-size: 1.15rem; margin: 18px 0 8px; }
.flash { background: var(--ok-bg); color: var(--ok); padding: 8px 12px; border-radius: 6px; }
.error { color: var(--bad); font-weight: 600; }
.alert { background: var(--warn-bg); color: var(--warn); padding: 10px 14px; border-radius: 6px;
  border-left: 4px solid #e0a800; font-weight: 600; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f6; font-weight: 600; font-size: .9rem; }
th a { color: inherit; }
tr:hover td { background: #fafbfd; }
dl.attrs { display: grid; grid-template-columns: minmax(140px, 220px) 1fr; gap: 0;
  background: var(--card); border: 1px solid var(--line); border-radius: 6px; margin: 0; }
dl.attrs dt, dl.attrs dd { margin: 0; padding: 7px 10px; border-bottom: 1px solid var(--line); }
dl.attrs dt { color: var(--muted); font-size: .9rem; }
dl.attrs dd { overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.counts { display: flex; gap: 10px; flex-wrap: wrap; padding: 0; list-style: none; }
.counts a { display: block; background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; text-decoration: none; color: var(--ink); min-width: 130px; }
.counts strong { display: block; font-size: 1.3rem; }
form.filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: end; margin-bottom: 12px; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #b9c2cf; border-radius: 6px; }
button { font: inherit; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--accent);
  background: var(--accent); color: var(--accent-ink); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
a.button { display: inline-block; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--accent);
  background: var(--accent); color: var(--accent-ink); text-decoration: none; }
.danger, a.button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
.controls { display: flex; gap: 10px; margin: -4px 0 14px; }
form.inline { display: inline; margin: 0; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.actions form { margin: 0; }
form.record-form { display: flex; flex-direction: column; gap: 12px; max-width: 640px; }
form.record-form .field { display: flex; flex-direction: column; gap: 4px; }
form.record-form .field.invalid input, form.record-form .field.invalid select,
form.record-form .field.invalid textarea { border-color: var(--bad); }
.field-error { margin: 0; font-size: .9rem; }
ul.attachments { padding-left: 18px; }
img.preview { max-width: 320px; max-height: 240px; border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; }
form.upload { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-top: 8px; }
:focus-visible { outline: 3px solid #7aa7ff; outline-offset: 2px; }
.pager { display: flex; gap: 12px; align-items: center; margin-top: 12px; }
.empty { background: var(--card); border: 1px dashed var(--line); padding: 18px; border-radius: 8px;
  color: var(--muted); }
.secret { font-family: ui-monospace, Menlo, Consolas, monospace; background: #eef1f6; padding: 2px 6px;
  border-radius: 4px; }
.doc { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
.muted { color: var(--muted); }
.group h2 .count { color: var(--muted); font-weight: 400; }
body.bare main { max-width: 420px; margin-top: 8vh; }
body.bare .brand-title { text-align: center; color: #15233b; }
body.bare form.card { display: flex; flex-direction: column; gap: 8px; }
body.bare form.card h2 { margin-top: 0; }
.hint { font-size: .85rem; color: var(--muted); }
figure.qr { margin: 8px auto; width: 200px; }
figure.qr svg { width: 200px; height: 200px; }
@media (max-width: 700px) {
  header.top { gap: 8px 10px; padding: 8px 12px; }
  header.top nav { overflow-x: auto; white-space: nowrap; max-width: 100%; }
  header.top form.search { order: 3; flex-basis: 100%; }
  header.top .user { order: 2; margin-left: auto; font-size: .8rem; }
  nav.crumbs ol { padding: 8px 12px 0; }
  main { padding: 12px; }
  .counts { display: grid; grid-template-columns: repeat(auto-fill, minmax(7rem, 1fr)); }
  .counts a { min-width: 0; padding: 8px 10px; font-size: .9rem; overflow-wrap: anywhere; }
  form.filters > label { flex: 1 1 9rem; }
  form.record-form button[type=submit] { align-self: stretch; }
  td a { word-break: normal; overflow-wrap: normal; white-space: nowrap; }
  dl.attrs { grid-template-columns: 1fr; }
  dl.attrs dt { border-bottom: 0; padding-bottom: 0; }
  table { display: block; overflow-x: auto; }
}
"#;

const JS: &str = r#"
document.addEventListener('keydown', function (event) {
  var target = event.target;
  var typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' ||
    target.tagName === 'SELECT' || target.isContentEditable);
  if (event.key === '/' && !typing) {
    var box = document.getElementById('q');
    if (box) { event.preventDefault(); box.focus(); box.select(); }
  }
});
function toClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  // Plain http on another host: the older way, through a hidden text area.
  return new Promise(function (resolve, reject) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.left = '-9999px';
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand('copy');
    document.body.removeChild(area);
    if (done) { resolve(); } else { reject(new Error('the browser refused')); }
  });
}
document.addEventListener('click', function (event) {
  var button = event.target.closest('[data-copy]');
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (source) {
    toClipboard(source.textContent).then(function () { button.textContent = 'Copied'; });
  }
});
// A password's Copy: an audited read of the value, straight to the clipboard.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!form.hasAttribute('data-copy-password')) { return; }
  event.preventDefault();
  var status = form.querySelector('[data-copy-status]');
  fetch(form.action, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'x-mortar-copy': '1', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(new FormData(form)).toString()
  }).then(function (response) {
    if (!response.ok) { throw new Error('the server answered ' + response.status); }
    return response.text();
  }).then(toClipboard).then(function () {
    status.textContent = 'Copied. Recorded in the activity log.';
  }).catch(function (error) {
    status.textContent = 'Not copied: ' + error.message + '. Reload the page and try again.';
  });
});
// A Tag picker's filter box: shown with the script, it hides the choices
// that do not contain what is typed (chosen ones stay).
document.querySelectorAll('input[data-filter-for]').forEach(function (box) {
  var list = document.getElementById(box.getAttribute('data-filter-for'));
  if (!list) { return; }
  box.hidden = false;
  box.addEventListener('input', function () {
    var wanted = box.value.trim().toLowerCase();
    Array.prototype.forEach.call(list.options, function (option) {
      option.hidden = wanted !== '' && !option.selected &&
        option.textContent.toLowerCase().indexOf(wanted) < 0;
    });
  });
});
function tick() {
  document.querySelectorAll('[data-otp-remaining]').forEach(function (node) {
    var left = parseInt(node.getAttribute('data-otp-remaining'), 10) - 1;
    if (left <= 0) { node.textContent = 'expired: reveal again for the next code'; return; }
    node.setAttribute('data-otp-remaining', String(left));
    node.textContent = left + ' s left';
  });
}
setInterval(tick, 1000);
document.querySelectorAll('time[datetime]').forEach(function (node) {
  var when = new Date(node.getAttribute('datetime'));
  if (!isNaN(when.getTime())) {
    node.title = node.textContent;
    node.textContent = when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }
});
"#;
