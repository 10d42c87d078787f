/* The report's browser: draws the JSON payload of #report-data lazily, and searches and filters it.
   The payload's shape is documented on imgperms_async.cli._html.Payload. Text reaches the page only
   as Text nodes (textContent, append of a string), never as markup. A group is drawn when it is
   opened, a hundred children at a time, so the DOM holds what is looked at, not the whole audit. */
"use strict";
(() => {
  const PAGE = 100; // children drawn at a time; a button draws the next ones
  const AUTO_OPEN = 40; // a section with at most this many rows is drawn fully open
  const SHARES_SHOWN = 12; // shares listed per image before a "more" button
  const DEBOUNCE_MS = 150;
  const KNOWN_CLASSES = new Set(["external", "unknown", "excepted", "unclassified", "organization", "allowlisted"]);
  const TYPE = { image: 0, inbound: 1, exception: 2, scope: 3, other: 4 };

  const root = document.documentElement;
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const S = data.s;
  const CLASSES = data.c;
  const ROWS = data.rows;
  const NAMES = data.names;
  const EXCEPTED = CLASSES.indexOf("excepted");

  const text = (i) => (i === undefined || i < 0 ? "" : S[i]);
  const nameOf = (i) => (i === undefined || NAMES[i] === undefined ? "" : S[NAMES[i]]);
  const typeOf = (row) => (row.t === undefined ? TYPE.image : row.t);
  const byId = (id) => document.getElementById(id);
  const compare = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
  const count = (n, one, many) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  /* ---- rows ---- */

  function accountLabel(account) {
    if (account < 0) return [el("span", "muted", "no account id")];
    const label = [el("code", "", text(account))];
    const name = nameOf(account);
    if (name) label.push(" ", el("span", "name", name));
    return label;
  }

  function shareNode(row, position) {
    const account = row.sh[position];
    const cls = CLASSES[row.sh[position + 1]];
    const item = el("li", "share");
    item.append(...accountLabel(account));
    item.append(el("span", `cls cls-${KNOWN_CLASSES.has(cls) ? cls : "other"}`, cls));
    if (row.nw && row.nw.includes(account)) item.append(" ", el("span", "badge new", "new"));
    return item;
  }

  function sharesNode(row) {
    const list = el("ul", "shares");
    const total = row.sh.length / 2;
    const draw = (limit) => {
      list.replaceChildren();
      for (let n = 0; n < Math.min(total, limit); n++) list.append(shareNode(row, 2 * n));
      if (total <= limit) return;
      const more = el("button", "more", `${(total - limit).toLocaleString("en-US")} more`);
      more.type = "button";
      more.addEventListener("click", () => draw(total));
      const item = el("li");
      item.append(more);
      list.append(item);
    };
    draw(SHARES_SHOWN);
    return list;
  }

  function exceptionLines(row) {
    const lines = [];
    const x = row.x || [];
    for (let n = 0; n < x.length; n += 4) {
      const line = el("p", "exception");
      line.append(el("span", "badge", "exception"), " ");
      if (x[n] >= 0) line.append("for ", el("code", "", text(x[n])), ": ");
      line.append(text(x[n + 1]) || "no reason given");
      line.append(el("span", "muted", ` owner ${text(x[n + 2]) || "not named"}, expires ${text(x[n + 3]) || "never"}`));
      lines.push(line);
    }
    return lines;
  }

  function listLine(label, indexes) {
    const line = el("p", "extra", `${label}: `);
    indexes.forEach((i, n) => line.append(n ? ", " : "", el("code", "", text(i))));
    return line;
  }

  function trailer(node, row) {
    node.append(...exceptionLines(row));
    if (row.rm) node.append(listLine("no longer shared with (since the baseline)", row.rm));
    if (row.e) {
      const error = el("p", "error");
      error.append(el("code", "", text(row.e[0])), " ", text(row.e[1]));
      node.append(error);
    }
    const extra = row.xk || [];
    for (let n = 0; n < extra.length; n += 2) {
      const line = el("p", "extra");
      line.append(el("code", "", text(extra[n])), ": ", el("code", "", text(extra[n + 1])));
      node.append(line);
    }
  }

  function head(row, ...parts) {
    const line = el("div", "head");
    line.append(...parts);
    if (row.ch !== undefined) line.append(el("span", "badge", text(row.ch)));
    if (row.p) line.append(el("span", "muted", `${row.p} pages`));
    return line;
  }

  const draw = {
    [TYPE.image](row, node) {
      node.append(head(row, el("code", "id", text(row.i))));
      if (row.sh) node.append(sharesNode(row));
      else if (!row.e) node.append(el("p", "muted", "Shared with nobody."));
    },
    [TYPE.inbound](row, node) {
      const parts = [el("code", "id", text(row.i))];
      if (row.n !== undefined) parts.push(el("span", "name", text(row.n)));
      node.append(head(row, ...parts));
      const from = el("ul", "shares");
      from.append(shareNode(row, 0));
      from.firstChild.prepend("from ");
      node.append(from);
    },
    [TYPE.exception](row, node) {
      node.append(head(row, el("span", "badge failed", text(row.st) || "exception")));
      node.append(row.im ? listLine("images", row.im) : el("p", "extra", "images: every image"));
      node.append(row.rg ? listLine("regions", row.rg) : el("p", "extra", "regions: every region"));
    },
    [TYPE.scope](row, node) {
      const status = text(row.st);
      const region = row.r === undefined ? el("span", "muted", "every region") : el("code", "", text(row.r));
      node.append(head(row, el("span", status === "failed" ? "badge failed" : "badge", status), region));
    },
    [TYPE.other](row, node) {
      node.append(head(row, el("span", "badge", `kind: ${text(row.k)}`), text(row.st)));
    },
  };

  function rowNode(index) {
    const row = ROWS[index];
    const node = el("div", "row");
    node.dataset.row = String(index);
    (draw[typeOf(row)] || draw[TYPE.other])(row, node);
    trailer(node, row);
    return node;
  }

  /* ---- groups: section -> account -> region -> row, each drawn when opened ---- */

  function paged(container, items, make) {
    let next = 0;
    const more = el("button", "more");
    more.type = "button";
    const step = () => {
      const end = Math.min(items.length, next + PAGE);
      const batch = document.createDocumentFragment();
      for (; next < end; next++) batch.append(make(items[next]));
      container.insertBefore(batch, more.isConnected ? more : null);
      const left = items.length - next;
      if (left === 0) more.remove();
      else {
        more.textContent = `Show ${Math.min(PAGE, left)} more (${left.toLocaleString("en-US")} left)`;
        if (!more.isConnected) container.append(more);
      }
    };
    more.addEventListener("click", step);
    step();
  }

  function lazy(details, fill) {
    let filled = false;
    const run = () => {
      if (!filled && details.open) {
        filled = true;
        fill();
      }
    };
    details.addEventListener("toggle", run);
    run();
  }

  function regionKey(row) {
    if (row.r !== undefined) return `r${row.r}`;
    return row.rg ? `g${row.rg.join(",")}` : "*";
  }

  function regionLabel(row) {
    if (row.r !== undefined) return [el("code", "", text(row.r))];
    if (!row.rg) return [el("span", "muted", "every region")];
    const label = [];
    row.rg.forEach((i, n) => label.push(n ? ", " : "", el("code", "", text(i))));
    return label;
  }

  function group(indexes) {
    const accounts = new Map();
    for (const index of indexes) {
      const row = ROWS[index];
      const account = row.a === undefined ? -1 : row.a;
      let found = accounts.get(account);
      if (!found) accounts.set(account, (found = { account, count: 0, regions: new Map() }));
      found.count++;
      const key = regionKey(row);
      const rows = found.regions.get(key);
      if (rows) rows.push(index);
      else found.regions.set(key, [index]);
    }
    return [...accounts.values()].sort((x, y) => y.count - x.count || compare(text(x.account), text(y.account)));
  }

  function groupNode(className, label, counted, open, fill) {
    const node = el("details", className);
    const summary = el("summary");
    summary.append(...label, el("span", "count", counted));
    node.append(summary);
    node.open = open;
    lazy(node, () => fill(node));
    return node;
  }

  function accountNode(found, section, open) {
    const regions = [...found.regions.values()];
    const counted = `${count(found.count, section.one, section.many)} in ${count(regions.length, "region", "regions")}`;
    return groupNode("account", accountLabel(found.account), counted, open, (node) => {
      const box = el("div", "children");
      node.append(box);
      paged(box, regions, (rows) => regionNode(rows, section, open));
    });
  }

  function regionNode(rows, section, open) {
    const counted = count(rows.length, section.one, section.many);
    return groupNode("region", regionLabel(ROWS[rows[0]]), counted, open, (node) => {
      const box = el("div", "rows");
      node.append(box);
      paged(box, rows, rowNode);
    });
  }

  /* ---- sections ---- */

  let filtering = false;
  const sections = Array.from(document.querySelectorAll("details[data-section]"), (node) => ({
    node,
    rows: data.sec[node.dataset.section] || [],
    shown: data.sec[node.dataset.section] || [],
    body: node.querySelector(".body"),
    counter: node.querySelector("[data-count]"),
    one: node.dataset.noun,
    many: node.dataset.nouns,
    opened: node.open,
    stale: true,
  }));

  function drawSection(section) {
    section.stale = false;
    section.body.replaceChildren();
    if (!section.shown.length) {
      section.body.append(el("p", "empty", filtering ? "Nothing here matches the filters." : "None."));
      return;
    }
    const open = section.shown.length <= AUTO_OPEN;
    paged(section.body, group(section.shown), (found) => accountNode(found, section, open));
  }

  function showSection(section, open) {
    section.stale = true;
    const shown = section.shown.length;
    const total = section.rows.length;
    const all = count(total, section.one, section.many);
    section.counter.textContent = filtering ? `${shown.toLocaleString("en-US")} of ${all}` : all;
    section.counter.dataset.count = String(shown);
    if (open && section.node.open) drawSection(section);
    else {
      if (!open) section.body.replaceChildren();
      section.node.open = open;
    }
  }

  for (const section of sections) {
    section.node.addEventListener("toggle", () => {
      if (section.node.open && section.stale) drawSection(section);
    });
  }

  /* ---- search and filters ---- */

  const form = byId("filters");
  const query = byId("q");
  const byClass = byId("f-class");
  const byAccount = byId("f-account");
  const byRegion = byId("f-region");
  const byChange = byId("f-change");
  const matchCount = byId("match-count");
  let haystacks = null;

  function haystack(index) {
    if (!haystacks) haystacks = new Array(ROWS.length);
    let found = haystacks[index];
    if (found === undefined) found = haystacks[index] = rowTexts(ROWS[index]).join("\n").toLowerCase();
    return found;
  }

  function rowTexts(row) {
    const texts = [nameOf(row.a)];
    for (const [key, value] of Object.entries(row)) {
      if (key === "t" || key === "p") continue;
      if (key === "sh") {
        value.forEach((v, n) => texts.push(n % 2 ? CLASSES[v] : `${text(v)}\n${nameOf(v)}`));
      } else if (Array.isArray(value)) value.forEach((v) => texts.push(text(v)));
      else texts.push(text(value));
    }
    return texts;
  }

  function hasClass(row, cls) {
    if (typeOf(row) === TYPE.exception) return cls === EXCEPTED;
    const shares = row.sh || [];
    for (let n = 1; n < shares.length; n += 2) if (shares[n] === cls) return true;
    return false;
  }

  function inRegion(row, region) {
    if (row.r !== undefined) return row.r === region;
    if (row.rg) return row.rg.includes(region);
    return typeOf(row) === TYPE.scope || typeOf(row) === TYPE.exception; // every region
  }

  function matcher() {
    const words = query.value.trim().toLowerCase();
    const cls = byClass.value === "" ? -1 : Number(byClass.value);
    const account = byAccount.value.trim().toLowerCase();
    const region = byRegion.value === "" ? -1 : Number(byRegion.value);
    const changed = byChange ? byChange.checked : false;
    if (!words && cls < 0 && !account && region < 0 && !changed) return null;
    return (index) => {
      const row = ROWS[index];
      return (
        (cls < 0 || hasClass(row, cls)) &&
        (region < 0 || inRegion(row, region)) &&
        (!account || `${text(row.a)}\n${nameOf(row.a)}`.toLowerCase().includes(account)) &&
        (!changed || (row.ch !== undefined && text(row.ch) !== "unchanged")) &&
        (!words || haystack(index).includes(words))
      );
    };
  }

  function apply() {
    const test = matcher();
    filtering = test !== null;
    let matched = ROWS.length;
    if (test) {
      const hit = new Uint8Array(ROWS.length);
      matched = 0;
      for (let index = 0; index < ROWS.length; index++) if (test(index)) matched += hit[index] = 1;
      for (const section of sections) section.shown = section.rows.filter((index) => hit[index]);
    } else for (const section of sections) section.shown = section.rows;
    for (const section of sections) showSection(section, filtering ? section.shown.length > 0 : section.opened);
    const all = count(ROWS.length, "record", "records");
    matchCount.textContent = filtering ? `${matched.toLocaleString("en-US")} of ${all} match` : all;
    matchCount.dataset.value = String(matched);
    delete root.dataset.pending;
  }

  let timer = 0;
  function later(delay) {
    root.dataset.pending = "true";
    clearTimeout(timer);
    timer = setTimeout(apply, delay);
  }

  function fillAccounts() {
    const list = byId("account-list");
    const accounts = [...new Set(ROWS.map((row) => row.a).filter((a) => a !== undefined))];
    accounts.sort((x, y) => compare(text(x), text(y)));
    for (const account of accounts) {
      const option = el("option");
      option.value = text(account);
      option.label = nameOf(account);
      list.append(option);
    }
  }

  query.addEventListener("input", () => later(DEBOUNCE_MS));
  byAccount.addEventListener("input", () => later(DEBOUNCE_MS));
  byAccount.addEventListener("focus", fillAccounts, { once: true });
  for (const control of [byClass, byRegion, byChange]) if (control) control.addEventListener("change", () => later(0));
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("reset", () => later(0));
  form.hidden = false;
  apply();
  root.dataset.ready = "true";
  performance.mark("report-ready");
})();
