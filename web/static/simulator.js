// The chat simulator's page: two phones, each playing one persona, fed by polling the server.
"use strict";

const POLL_MS = 1000;
const MAX_TEXT_CHARS = 2000;
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: body instanceof FormData ? { "X-Simulator": "1" } : { "Content-Type": "application/json", "X-Simulator": "1" },
    body: body instanceof FormData ? body : JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new Error("连不上服务器，请确认 courtyard serve 还在运行。");
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) {
    throw new Error((data && data.error) || `服务器回答 HTTP ${response.status}。`);
  }
  return data;
}

function tabId() {
  let id = sessionStorage.getItem("sim-tab");
  if (!id) {
    id = Math.random().toString(36).slice(2, 10);
    sessionStorage.setItem("sim-tab", id);
  }
  return id;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

class Phone {
  constructor(root, index, page) {
    this.root = root;
    this.index = index;
    this.page = page;
    this.persona = null;
    this.after = 0;
    this.lastTime = "";
    this.busy = false;
    this.mode = "text";
    root.appendChild(document.getElementById("phone-template").content.cloneNode(true));
    this.q = (selector) => root.querySelector(selector);
    this.q(".switch").addEventListener("click", () => this.showPicker());
    this.q(".new-resident").addEventListener("click", () => this.newResident());
    this.q(".send").addEventListener("click", () => this.sendText());
    this.q("textarea").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText();
      }
    });
    this.q(".send-photo").addEventListener("click", () => this.sendPhoto());
    this.q(".send-location").addEventListener("click", () => this.sendLocation());
    this.q(".map").addEventListener("click", (event) => this.pickOnMap(event));
    root.querySelectorAll(".modes button").forEach((button) =>
      button.addEventListener("click", () => this.setMode(button.dataset.mode)));
    const saved = sessionStorage.getItem(`sim-phone-${index}`);
    if (saved) this.choose(JSON.parse(saved)); else this.showPicker();
  }

  error(message, where) {
    this.q(where || (this.persona ? ".composer .error" : ".picker .error")).textContent = message || "";
  }

  async showPicker() {
    this.persona = null;
    sessionStorage.removeItem(`sim-phone-${this.index}`);
    this.q(".chat").hidden = true;
    this.q(".picker").hidden = false;
    this.q(".switch").hidden = true;
    this.q(".others").hidden = true;
    this.q(".who").textContent = "请选一个身份";
    const state = await this.page.refresh();
    if (!state) return;
    const residents = this.q(".residents");
    residents.replaceChildren();
    this.q(".residents-title").hidden = state.residents.length === 0;
    for (const person of state.residents) {
      residents.appendChild(this.personaButton(person, true, ""));
    }
    const cadres = this.q(".cadres");
    cadres.replaceChildren();
    for (const person of state.cadres) {
      const why = person.openid ? "正式组织架构下不能扮演干部：会向真实居民推送" : "还没绑定微信，不能扮演";
      cadres.appendChild(this.personaButton({ ...person, kind: "cadre" }, person.playable, why));
    }
  }

  personaButton(person, playable, why) {
    const item = el("li");
    const button = el("button", "persona", person.name);
    button.type = "button";
    button.dataset.openid = person.openid || "";
    button.appendChild(el("small", "", playable ? person.detail : `${person.detail}（${why}）`));
    button.disabled = !playable;
    button.addEventListener("click", () => this.choose({ openid: person.openid, name: person.name, detail: person.detail }));
    item.appendChild(button);
    return item;
  }

  async newResident() {
    this.error("");
    try {
      const person = await api("/simulator/api/new-resident", {});
      this.choose({ openid: person.openid, name: person.name, detail: "新关注的居民" });
    } catch (err) {
      this.error(err.message);
    }
  }

  choose(persona) {
    this.persona = persona;
    sessionStorage.setItem(`sim-phone-${this.index}`, JSON.stringify(persona));
    this.after = 0;
    this.lastTime = "";
    this.q(".messages").replaceChildren();
    this.q(".held").replaceChildren();
    this.q(".picker").hidden = true;
    this.q(".chat").hidden = false;
    this.q(".switch").hidden = false;
    this.q(".who").textContent = `你是：${persona.name}${persona.detail ? "（" + persona.detail + "）" : ""}`;
    this.root.dataset.openid = persona.openid;
    this.error("");
    this.poll();
  }

  setMode(mode) {
    this.mode = mode;
    this.root.querySelectorAll(".modes button").forEach((b) => b.classList.toggle("on", b.dataset.mode === mode));
    this.q(".mode-text").hidden = !(mode === "text" || mode === "voice");
    this.q(".mode-photo").hidden = mode !== "photo";
    this.q(".mode-location").hidden = mode !== "location";
    this.q("textarea").placeholder = mode === "voice" ? "说了什么（语音识别出的文字）…" : "输入文字…";
    if (mode === "location") this.drawMap();
    this.error("");
  }

  async send(body) {
    this.error("");
    try {
      await api("/simulator/api/send", { openid: this.persona.openid, ...body });
      return true;
    } catch (err) {
      this.error(err.message);
      return false;
    } finally {
      this.poll();
    }
  }

  async sendText() {
    const box = this.q("textarea");
    const text = box.value;
    if (!text.trim()) { this.error("请先输入内容。"); return; }
    if (text.length > MAX_TEXT_CHARS) {
      this.error(`这条消息有 ${text.length} 字，太长了：一条消息最多 ${MAX_TEXT_CHARS} 字，请分几条发。`);
      return;
    }
    box.value = "";
    if (!(await this.send({ kind: this.mode === "voice" ? "voice" : "text", text }))) box.value = text;
  }

  async sendPhoto() {
    const input = this.q(".photo-input");
    const file = input.files[0];
    if (!file) { this.error("请先选一张照片。"); return; }
    if (file.size > MAX_PHOTO_BYTES) { this.error("照片太大了：最大 5 MB。"); return; }
    const form = new FormData();
    form.append("openid", this.persona.openid);
    form.append("photo", file);
    this.error("");
    try {
      await api("/simulator/api/photo", form);
      input.value = "";
    } catch (err) {
      this.error(err.message);
    } finally {
      this.poll();
    }
  }

  async sendLocation() {
    const lat = this.q(".lat").value.trim();
    const lon = this.q(".lon").value.trim();
    if (!lat || !lon) { this.error("请在地图上点一下，或填上纬度和经度。"); return; }
    await this.send({ kind: "location", lat, lon, label: this.q(".label").value });
  }

  drawMap() {
    const map = this.q(".map");
    const points = (this.page.state ? this.page.state.courtyards : []).filter((c) => c.lat !== null && c.lon !== null);
    map.hidden = points.length === 0;
    if (!points.length) return;
    const lats = points.map((p) => p.lat), lons = points.map((p) => p.lon);
    const pad = 0.004;
    this.bounds = {
      south: Math.min(...lats) - pad, north: Math.max(...lats) + pad,
      west: Math.min(...lons) - pad, east: Math.max(...lons) + pad,
    };
    map.replaceChildren();
    for (const p of points) {
      const dot = el("span", "dot", `● ${p.name}`);
      dot.style.left = `${((p.lon - this.bounds.west) / (this.bounds.east - this.bounds.west)) * 100}%`;
      dot.style.top = `${((this.bounds.north - p.lat) / (this.bounds.north - this.bounds.south)) * 100}%`;
      map.appendChild(dot);
    }
  }

  pickOnMap(event) {
    if (!this.bounds) return;
    const box = this.q(".map").getBoundingClientRect();
    const x = (event.clientX - box.left) / box.width, y = (event.clientY - box.top) / box.height;
    const lat = this.bounds.north - y * (this.bounds.north - this.bounds.south);
    const lon = this.bounds.west + x * (this.bounds.east - this.bounds.west);
    this.q(".lat").value = lat.toFixed(5);
    this.q(".lon").value = lon.toFixed(5);
    let pin = this.q(".map .pin");
    if (!pin) { pin = el("span", "pin"); this.q(".map").appendChild(pin); }
    pin.style.left = `${x * 100}%`;
    pin.style.top = `${y * 100}%`;
  }

  async poll() {
    if (!this.persona || this.busy) return;
    this.busy = true;
    const openid = this.persona.openid;
    try {
      const query = new URLSearchParams({ openid, after: String(this.after), tab: `${tabId()}-${this.index}` });
      const data = await api(`/simulator/api/feed?${query}`);
      if (!this.persona || this.persona.openid !== openid) return;
      for (const entry of data.entries) this.render(entry);
      this.renderWaiting(data.waiting);
      const others = this.q(".others");
      others.hidden = data.others === 0;
      others.textContent = `这个身份还在另外 ${data.others} 个窗口里打开：两边看到同样的消息和推送，谁发的都算这个人发的。`;
      this.page.showNow(data.now);
    } catch (err) {
      this.error(err.message);
    } finally {
      this.busy = false;
    }
  }

  render(entry) {
    this.after = Math.max(this.after, entry.seq);
    const list = this.q(".messages");
    const item = el("li", `msg ${entry.side}${entry.channel === "template" ? " template" : ""}`);
    item.dataset.seq = entry.seq;
    if (entry.at !== this.lastTime) {
      item.appendChild(el("span", "time", entry.at));
      this.lastTime = entry.at;
    }
    if (entry.side === "push") item.appendChild(el("span", "channel", `推送 · ${entry.channel_label}`));
    const bubble = el("div", "bubble");
    if (entry.kind === "image" && entry.image) {
      const img = el("img");
      img.src = entry.image;
      img.alt = "照片";
      bubble.appendChild(img);
    } else {
      const prefix = entry.kind === "voice" ? "［语音］" : entry.kind === "location" ? "［位置］" : "";
      bubble.textContent = prefix + entry.text;
    }
    item.appendChild(bubble);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  renderWaiting(waiting) {
    const list = this.q(".held");
    list.replaceChildren();
    for (const push of waiting) {
      const item = el("li", `msg push ${push.held ? "held-push" : "later-push"}`);
      const why = push.held
        ? "推送 · 暂存：超过 48 小时没来消息、又没配模板，等这个人再发消息时送达"
        : `推送 · 待发：${push.due} 发出（晚上 9 点到早上 8 点不打扰居民）`;
      item.appendChild(el("span", "channel", why));
      item.appendChild(el("div", "bubble", push.text));
      list.appendChild(item);
    }
  }
}

class Page {
  constructor() {
    this.state = null;
    this.phones = [0, 1].map((i) => new Phone(document.getElementById(`phone-${i}`), i, this));
    document.querySelectorAll("[data-step]").forEach((button) =>
      button.addEventListener("click", () => this.timeMachine(button.dataset.step)));
    this.refresh();
    setInterval(() => this.phones.forEach((phone) => phone.poll()), POLL_MS);
  }

  async refresh() {
    try {
      this.state = await api("/simulator/api/state");
    } catch (err) {
      document.getElementById("banner").textContent = err.message;
      return null;
    }
    const banner = document.getElementById("banner");
    banner.classList.toggle("demo", this.state.demo);
    banner.textContent = this.state.demo
      ? "这是演示：柳街镇和这里的人都是虚构的。消息经真实的 /wechat 接口处理、记进台账；推送显示在手机里，不会发到微信。"
      : "正式组织架构：只能扮演新居民（不会推送给真实的人）；这里提交的诉求会进入正式台账。";
    if (!this.state.pushes_shown) banner.textContent += " 未配置微信凭据，推送暂不投递。";
    document.getElementById("time-machine").hidden = !this.state.time_machine;
    this.showNow(this.state.now);
    return this.state;
  }

  showNow(now) {
    document.getElementById("now").textContent = now;
  }

  async timeMachine(step) {
    const result = document.getElementById("tm-result");
    result.textContent = "正在快进…";
    try {
      const data = await api("/simulator/api/time-machine", { step });
      const counts = Object.values(data.did).flatMap((report) => Object.entries(report));
      const total = counts.reduce((sum, [, n]) => sum + n, 0);
      result.textContent = `已快进到 ${data.now}，到期的提醒和推送已处理（${total} 项）。`;
      this.showNow(data.now);
    } catch (err) {
      result.textContent = err.message;
    }
    this.phones.forEach((phone) => phone.poll());
  }
}

document.addEventListener("DOMContentLoaded", () => new Page());
