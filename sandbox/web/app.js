// dudaobot sandbox page: plain JS, no build step.
"use strict";

const $ = (sel, el = document) => el.querySelector(sel);

const ROLE_LABEL = { director: "督导办主任", official: "分管负责同志", backup: "备用联系人", group: "群聊" };
const STAGE_SHORT = {
  self_assessment: "自查自评", feedback: "书面反馈", rectification_plan: "整改方案", rectification_done: "整改完成",
};
const QUICK = {
  director: ["帮助", "总览", "未交", "逾期", "未回复", "导出"],
  official: ["帮助", "状态", "收到"],
  backup: ["帮助", "状态", "收到"],
};

const state = {
  contacts: [],
  byId: new Map(),
  current: null, // contact id
  shown: new Set(), // message ids rendered in the open chat
  lastDate: "",
};

// The run's token, from the URL the sandbox printed (…/?token=…). Every API
// call carries it; the server refuses calls without it.
const TOKEN = new URLSearchParams(location.search).get("token") || "";

// withToken adds the token to an API address that the browser fetches by
// itself (the event stream, a download link).
function withToken(url) {
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

// ---------- helpers ----------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

// api calls the sandbox's API. POST bodies are JSON ({} when there is
// nothing to say); a File is sent as its raw bytes, its name in X-File-Name.
async function api(method, url, body) {
  const opts = { method, headers: { "X-Sandbox-Token": TOKEN } };
  if (body instanceof File) {
    opts.headers["Content-Type"] = "application/octet-stream";
    opts.headers["X-File-Name"] = encodeURIComponent(body.name);
    opts.body = body;
  } else if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body === undefined ? {} : body);
  }
  const res = await fetch(url, opts);
  let data = null;
  try { data = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) throw new Error((data && data.error) || ("请求失败：" + res.status));
  return data;
}

function humanSize(n) {
  if (n == null) return "";
  if (n < 1024) return n + " 字节";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / 1024 / 1024).toFixed(1) + " MB";
}

function debounce(fn, ms) {
  let t = null;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

function setView(v) {
  $("#layout").dataset.view = v;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === v);
}

// ---------- contacts ----------

async function loadContacts() {
  state.contacts = await api("GET", "/api/contacts");
  state.byId = new Map(state.contacts.map((c) => [c.id, c]));
  renderContacts();
}

function contactItem(c) {
  const badge = el("span", { class: "unread", "data-count": String(c.unread || 0), hidden: !c.unread, text: String(c.unread || 0) });
  const li = el("li", {
    class: "contact" + (c.id === state.current ? " active" : ""),
    "data-contact-id": c.id,
    "data-contact-remark": c.remark || c.name,
    "data-role": c.role,
    "data-unit": c.unitKey || "",
    title: c.name + (c.unitName ? "（" + c.unitName + "）" : ""),
    onclick: () => selectContact(c.id),
  },
  el("span", { class: "avatar", text: c.avatar || (c.remark || c.name).slice(0, 2) }),
  el("span", { class: "who" },
    el("div", { class: "remark", text: c.remark || c.name }),
    el("div", { class: "preview", text: c.preview || ROLE_LABEL[c.role] || "" })),
  badge);
  return li;
}

function renderContacts() {
  const list = $("#contact-list");
  const q = $("#contact-filter").value.trim();
  list.replaceChildren();
  let lastGroup = null;
  for (const c of state.contacts) {
    if (q && ![c.remark, c.name, c.unitName].some((s) => s && s.includes(q))) continue;
    const group = c.role === "director" ? "督导办" : c.role === "group" ? "群聊" : c.unitName;
    if (group !== lastGroup) {
      list.append(el("li", { class: "group-head", "data-group": group, text: group }));
      lastGroup = group;
    }
    list.append(contactItem(c));
  }
}

function updateContact(id, patch) {
  const c = state.byId.get(id);
  if (!c) return;
  Object.assign(c, patch);
  const old = document.querySelector(`.contact[data-contact-id="${CSS.escape(id)}"]`);
  if (old) old.replaceWith(contactItem(c));
}

async function selectContact(id) {
  const c = state.byId.get(id);
  if (!c) return;
  state.current = id;
  state.shown = new Set();
  for (const li of document.querySelectorAll(".contact")) li.classList.toggle("active", li.dataset.contactId === id);
  $("#chat-title").textContent = (c.remark || c.name);
  $("#chat-title").dataset.contactRemark = c.remark || c.name;
  const bits = [c.name];
  if (c.unitName) bits.push(c.unitName);
  bits.push(ROLE_LABEL[c.role] || c.role);
  $("#chat-sub").textContent = "您现在是：" + bits.join(" · ");
  const canType = c.role !== "group";
  $("#msg-input").disabled = !canType;
  $("#send-btn").disabled = !canType;
  $("#file-input").disabled = !canType;
  // Short enough for a phone's input box (who is typing is in the title).
  $("#msg-input").placeholder = canType ? "输入消息，回车发送" : "群聊只能查看";
  renderQuick(c);
  const box = $("#messages");
  box.replaceChildren(el("div", { class: "empty-hint", "data-loading": "true", text: "加载中…" }));
  setView("chat");
  try {
    const msgs = await api("GET", `/api/contacts/${encodeURIComponent(id)}/messages`);
    if (state.current !== id) return;
    box.replaceChildren();
    if (!msgs.length) box.append(emptyChatHint(c));
    for (const m of msgs) addMessage(m);
    scrollDown(true);
    markRead(id);
  } catch (e) {
    box.replaceChildren(el("div", { class: "empty-hint", text: "加载失败：" + e.message }));
  }
  if (canType && window.matchMedia("(min-width: 701px)").matches) $("#msg-input").focus();
}

function emptyChatHint(c) {
  const t = c.role === "director"
    ? "您是督导办主任。试试发送“帮助”或“总览”。"
    : c.role === "group" ? "机器人发到这个群的消息会显示在这里。"
      : "您是" + (c.unitName || "") + "的联系人。把自查自评报告（.docx、.pdf 等）拖进来即可报送，或发送“帮助”。";
  return el("div", { class: "empty-hint", text: t });
}

function renderQuick(c) {
  const box = $("#quick-cmds");
  box.replaceChildren();
  for (const cmd of QUICK[c.role] || []) {
    box.append(el("button", { type: "button", "data-cmd": cmd, text: cmd, onclick: () => sendText(cmd) }));
  }
}

const markRead = debounce(async (id) => {
  try { await api("POST", `/api/contacts/${encodeURIComponent(id)}/read`); } catch (_) { /* next time */ }
}, 150);

// ---------- messages ----------

function messageNode(m) {
  const mine = m.from === "person";
  let body;
  if (m.kind === "text") {
    body = el("div", { class: "bubble", text: m.text });
  } else if (m.kind === "image" && m.url) {
    // A picture the bot sent (the 总览 board) shows in the chat like any
    // image; a click opens it full size.
    const src = withToken(m.url);
    body = el("div", { class: "bubble picture" },
      el("a", { href: src, target: "_blank", rel: "noopener" },
        el("img", { class: "chat-image", src: src, alt: m.fileName || "图片" })));
  } else {
    const ext = ((m.fileName || "").match(/\.([A-Za-z0-9]{1,5})$/) || [, m.kind === "image" ? "img" : "file"])[1].toLowerCase();
    const inner = [
      el("span", { class: "icon ext-" + ext, text: ext.toUpperCase() }),
      el("span", {}, el("div", { class: "fname", text: m.fileName || m.kind }), el("div", { class: "fsize", text: humanSize(m.size) + (m.url ? " · 点击下载" : "") })),
    ];
    const card = m.url
      ? el("a", { class: "file-card", href: withToken(m.url), download: m.fileName || true }, ...inner)
      : el("span", { class: "file-card" }, ...inner);
    body = el("div", { class: "bubble" }, card);
  }
  return el("div", {
    class: "msg " + (mine ? "me" : "bot") + " kind-" + m.kind,
    "data-id": String(m.id),
    "data-kind": m.kind,
  }, body, el("div", { class: "meta", text: (mine ? "" : "机器人 · ") + m.time }));
}

function addMessage(m) {
  if (m.contact !== state.current || state.shown.has(m.id)) return;
  state.shown.add(m.id);
  const box = $("#messages");
  const hint = $(".empty-hint", box);
  if (hint) hint.remove();
  const node = messageNode(m);
  // Keep id order even if the POST answer and the event stream race.
  let after = null;
  for (const n of box.querySelectorAll(".msg[data-id]")) {
    if (Number(n.dataset.id) > m.id) { after = n; break; }
  }
  const pending = box.querySelector(".msg.pending");
  if (after) box.insertBefore(node, after);
  else if (pending) box.insertBefore(node, pending);
  else box.append(node);
}

function scrollDown(force) {
  const box = $("#messages");
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 160) box.scrollTop = box.scrollHeight;
}

function showError(text) {
  const box = $("#messages");
  box.append(el("div", { class: "msg me error" }, el("div", { class: "bubble", text }), el("div", { class: "meta", text: "未发送" })));
  scrollDown(true);
}

async function sendText(text) {
  const id = state.current;
  if (!id || !text.trim()) return;
  try {
    const m = await api("POST", `/api/contacts/${encodeURIComponent(id)}/text`, { text });
    addMessage(m);
    scrollDown(true);
  } catch (e) {
    showError("发送失败：" + e.message);
  }
}

async function uploadFiles(files) {
  const id = state.current;
  if (!id) { alert("请先在左侧选择一位联系人。"); return; }
  for (const f of files) {
    const tmp = el("div", { class: "msg me pending" },
      el("div", { class: "bubble", text: "正在发送 " + f.name + "（" + humanSize(f.size) + "）…" }),
      el("div", { class: "meta", text: "上传中" }));
    $("#messages").append(tmp);
    scrollDown(true);
    try {
      const m = await api("POST", `/api/contacts/${encodeURIComponent(id)}/file`, f);
      tmp.remove();
      addMessage(m);
    } catch (e) {
      tmp.remove();
      showError("文件 " + f.name + " 发送失败：" + e.message);
    }
    scrollDown(true);
  }
}

// ---------- clock and compliance ----------

function showClock(c) {
  $("#sim-now").textContent = c.display;
  $("#clock-now").textContent = c.display;
  $("#clock-now").dataset.now = c.now;
  $("#sim-speed").textContent = c.speed === 0 ? "已暂停" : c.speed === 1 ? "实时" : "×" + c.speed;
  $("#jump-btn").disabled = !!c.jumping;
  $("#clock-box").dataset.jumping = c.jumping ? "true" : "false";
  if (c.jumping) $("#sim-speed").textContent = "快进中 → " + c.jumping;
  const st = $("#bot-status");
  st.dataset.online = String(!!c.online);
  st.textContent = c.online ? "机器人在线" : "机器人离线";
  const sel = $("#speed-select");
  if (document.activeElement !== sel) {
    const v = String(c.speed);
    if (![...sel.options].some((o) => o.value === v)) sel.append(el("option", { value: v, text: v + " 倍" }));
    sel.value = v;
  }
  const jd = $("#jump-date");
  jd.min = c.date;
  if (!jd.value) jd.value = c.date;
  if (state.lastDate && state.lastDate !== c.date) refreshCompliance();
  state.lastDate = c.date;
}

function clockMsg(text, err) {
  const m = $("#clock-msg");
  m.textContent = text;
  m.classList.toggle("err", !!err);
}

async function jump() {
  const date = $("#jump-date").value;
  const time = $("#jump-time").value || "10:30";
  if (!date) { clockMsg("请先选择日期。", true); return; }
  try {
    const c = await api("POST", "/api/clock", { date, time });
    showClock(c);
    if (c.jumping) clockMsg("正在快进到 " + c.jumping + "：途经的提醒按时生成并依次发出…");
    else clockMsg("已到 " + c.display + "。");
  } catch (e) {
    clockMsg(e.message, true);
  }
}

async function setSpeed() {
  try {
    const c = await api("POST", "/api/clock", { speed: Number($("#speed-select").value) });
    showClock(c);
    clockMsg(c.speed === 0 ? "时钟已暂停。" : "速度已设为 " + c.speed + " 倍。");
  } catch (e) {
    clockMsg(e.message, true);
  }
}

async function digest() {
  try {
    const r = await api("POST", "/api/digest");
    clockMsg(r.result);
  } catch (e) {
    clockMsg(e.message, true);
  }
}

async function refreshComplianceNow() {
  let d;
  try { d = await api("GET", "/api/compliance"); } catch (_) { return; }
  $("#compliance-time").textContent = "截至 " + d.display;
  const thead = $("#compliance-table thead");
  const tbody = $("#compliance-table tbody");
  const hr = el("tr", {}, el("th", { text: "单位" }));
  for (const s of d.stages) hr.append(el("th", { title: s.label, "data-stage": s.key, text: STAGE_SHORT[s.key] || s.label }));
  thead.replaceChildren(hr);
  const rows = d.units.map((u) => {
    const tr = el("tr", { "data-unit": u.key }, el("th", { text: u.name }));
    for (const c of u.cells) {
      tr.append(el("td", { class: "k-" + c.kind, "data-stage": c.stage, "data-kind": c.kind, title: c.due ? "截止 " + c.due : "" },
        c.text, c.due && c.kind !== "on_time" && c.kind !== "late" && c.kind !== "not_open" && c.kind !== "not_applicable" ? el("span", { class: "due", text: "截止" + c.due }) : null));
    }
    return tr;
  });
  tbody.replaceChildren(...rows);
  const counts = $("#compliance-counts");
  counts.replaceChildren(...d.counts.map((c) => el("div", { "data-stage": c.stage },
    (STAGE_SHORT[c.stage] || c.stage) + "：按时 " + c.onTime + " · 逾期提交 " + c.late + " · 未交 " + (c.open + c.overdue) +
    (c.overdue ? "（已逾期 " + c.overdue + "）" : "") + " · 未开始 " + c.notOpen +
    (c.notApplicable ? " · 不适用 " + c.notApplicable : ""))));
  $("#items-counts").textContent = d.itemCounts || "暂无";
  $("#items-table tbody").replaceChildren(...(d.items || []).map((it) =>
    el("tr", { "data-item": it.id, "data-kind": it.kind },
      el("th", { text: it.unit }), el("td", { text: it.id }), el("td", { text: it.text }),
      el("td", { class: "k-" + it.kind, text: it.status }))));
}
const refreshCompliance = debounce(refreshComplianceNow, 300);

// ---------- live events ----------

function connect() {
  let opened = false;
  const es = new EventSource(withToken("/api/events"));
  es.addEventListener("open", () => {
    if (opened) resync(); // a reconnect: catch up on what was missed
    opened = true;
  });
  es.addEventListener("clock", (e) => showClock(JSON.parse(e.data)));
  es.addEventListener("jumped", (e) => {
    const c = JSON.parse(e.data);
    showClock(c);
    clockMsg("已快进到 " + c.display + "，途经的提醒已按时发出。");
    refreshCompliance();
  });
  es.addEventListener("message", (e) => {
    const { message: m, unread } = JSON.parse(e.data);
    const c = state.byId.get(m.contact);
    const preview = m.kind === "text" ? m.text.split("\n")[0].slice(0, 24) : (m.kind === "image" ? "[图片]" : "[文件] " + (m.fileName || ""));
    if (m.contact === state.current) {
      addMessage(m);
      scrollDown(m.from === "person");
      if (m.from === "bot") markRead(m.contact);
      updateContact(m.contact, { preview, unread: 0 });
    } else if (c) {
      updateContact(m.contact, { preview, unread });
    }
    refreshCompliance();
  });
  es.addEventListener("read", (e) => {
    const r = JSON.parse(e.data);
    updateContact(r.contact, { unread: 0 });
  });
  es.addEventListener("error", () => { $("#bot-status").textContent = "连接中断，重连中…"; });
}

async function resync() {
  await loadContacts();
  if (state.current) {
    const msgs = await api("GET", `/api/contacts/${encodeURIComponent(state.current)}/messages`);
    for (const m of msgs) addMessage(m);
    scrollDown(false);
  }
  refreshCompliance();
}

// ---------- wiring ----------

function wire() {
  $("#contact-filter").addEventListener("input", renderContacts);
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#msg-input");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autosize();
    sendText(text);
  });
  const input = $("#msg-input");
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("#composer").requestSubmit();
    }
  });
  input.addEventListener("input", autosize);
  $("#file-input").addEventListener("change", (e) => {
    const files = [...e.target.files];
    e.target.value = "";
    if (files.length) uploadFiles(files);
  });
  const pane = $("#chat-pane");
  let depth = 0;
  pane.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; if (state.current) pane.classList.add("dragging"); });
  pane.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; pane.classList.remove("dragging"); } });
  pane.addEventListener("dragover", (e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; });
  pane.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    pane.classList.remove("dragging");
    const files = [...(e.dataTransfer.files || [])];
    if (files.length) uploadFiles(files);
  });
  // A file dropped elsewhere must not navigate away from the page.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  $("#jump-btn").addEventListener("click", jump);
  $("#speed-select").addEventListener("change", setSpeed);
  $("#digest-btn").addEventListener("click", digest);
  $("#back-btn").addEventListener("click", () => setView("contacts"));
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => setView(b.dataset.tab));
}

function autosize() {
  const t = $("#msg-input");
  t.style.height = "auto";
  t.style.height = Math.min(t.scrollHeight + 2, 140) + "px";
}

async function main() {
  wire();
  if (!TOKEN) {
    showError("网址缺少访问令牌（token）。请使用沙盒启动时在终端显示的完整网址打开本页。");
    return;
  }
  try {
    const info = await api("GET", "/api/info");
    $("#office-name").textContent = info.office + " · " + info.year + " 年度 · 模拟微信（数据目录 " + info.dataDir + "）";
    document.title = "督导机器人沙盒 · " + info.office;
  } catch (_) { /* cosmetic */ }
  showClock(await api("GET", "/api/clock"));
  await loadContacts();
  refreshComplianceNow();
  connect();
  setInterval(refreshCompliance, 15000);
  document.body.dataset.ready = "true";
}

main();
