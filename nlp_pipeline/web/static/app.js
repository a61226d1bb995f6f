// opinions serve: upload, job progress, review keyboard. Plain DOM; text is only ever set
// through textContent, so nothing a comment contains is parsed as HTML.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function show(node, message) { node.textContent = message; node.hidden = !message; }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return { error: "HTTP " + r.status }; })
        .then(function (data) { if (!r.ok) throw new Error(data.error || ("HTTP " + r.status)); return data; });
    });
  }

  // ---- upload: drag and drop or choose, then pick sheet and text column -----------------
  function setupUpload() {
    var drop = $("#drop"); if (!drop) return;
    var input = $("#file"), bar = $("#upload-bar"), err = $("#upload-error"), form = $("#start");

    function fill(info) {
      $("#upload_id").value = info.id;
      $("#upload-name").textContent = info.name;
      var sheet = $("#sheet"), col = $("#text_column");
      sheet.textContent = ""; col.textContent = "";
      (info.sheets || []).forEach(function (s) { var o = el("option", s); o.value = s; o.selected = s === info.sheet; sheet.appendChild(o); });
      $("#sheet-label").hidden = !(info.sheets && info.sheets.length > 1);
      var blank = el("option", "— 请选择 —"); blank.value = ""; col.appendChild(blank);
      info.columns.forEach(function (c) { var o = el("option", c); o.value = c; o.selected = c === info.text_column; col.appendChild(o); });
      var table = $("#preview"); table.textContent = "";
      var head = el("tr"); info.columns.forEach(function (c) { head.appendChild(el("th", c)); }); table.appendChild(head);
      info.preview.forEach(function (row) {
        var tr = el("tr"); info.columns.forEach(function (c) { tr.appendChild(el("td", row[c])); }); table.appendChild(tr);
      });
      form.hidden = false;
    }

    var maxMb = +drop.dataset.maxMb;
    var tooLarge = "文件超过 " + maxMb + " MB 的上传上限 (the upload is larger than the " + maxMb + " MB limit)";

    function send(file) {
      form.hidden = true;
      if (file.size > maxMb * 1024 * 1024) { show(err, tooLarge); return; }
      show(err, ""); bar.hidden = false; bar.firstElementChild.style.width = "0";
      var data = new FormData(); data.append("file", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/uploads");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.firstElementChild.style.width = (100 * e.loaded / e.total) + "%"; };
      xhr.onload = function () {
        bar.hidden = true;
        var info; try { info = JSON.parse(xhr.responseText); } catch (e) { info = { error: xhr.status === 413 ? tooLarge : "HTTP " + xhr.status }; }
        if (xhr.status !== 200) { show(err, info.error || ("HTTP " + xhr.status)); return; }
        fill(info);
      };
      xhr.onerror = function () { bar.hidden = true; show(err, "上传失败 (upload failed)"); };
      xhr.send(data);
    }

    input.addEventListener("change", function () { if (input.files.length) send(input.files[0]); });
    drop.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
    });
    drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (e) {
      e.preventDefault(); drop.classList.remove("over");
      if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]);
    });
    $("#sheet").addEventListener("change", function () {
      var id = $("#upload_id").value;
      fetch("/uploads/" + id + "?sheet=" + encodeURIComponent(this.value), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (info) { if (info.error) show(err, info.error); else fill(info); });
    });
  }

  // ---- job progress (survives reloads: the state is the server's) -----------------------
  function fmtSeconds(s) {
    if (s === null || s === undefined) return "—";
    if (s < 60) return Math.ceil(s) + " 秒";
    return Math.floor(s / 60) + " 分 " + Math.ceil(s % 60) + " 秒";
  }

  function setupJob() {
    var box = $("#job"); if (!box) return;
    var status = box.dataset.status;
    if (status !== "queued" && status !== "running") return;
    var bar = $("#job-bar"), text = $("#job-text"), message = $("#job-message");
    function poll() {
      fetch("/api/jobs/" + box.dataset.job, { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          box.dataset.status = s.status;
          if (s.total) {
            bar.classList.remove("indeterminate");
            var pct = Math.min(100, Math.round(100 * s.done / s.total));
            bar.firstElementChild.style.width = pct + "%"; bar.setAttribute("aria-valuenow", pct);
            text.textContent = "已处理 " + s.done.toLocaleString() + " / 约 " + s.total.toLocaleString() + " 行 · "
              + Math.round(s.rate).toLocaleString() + " 行/秒 · 剩余约 " + fmtSeconds(s.seconds_left);
          } else if (s.status === "running") {
            bar.classList.add("indeterminate");
            text.textContent = "进行中 running… 已用 " + fmtSeconds(s.elapsed);
          }
          message.textContent = s.message || "";
          if (s.status === "done") {
            var ready = box.closest("[data-ready]");
            if (ready) { location.replace(ready.dataset.ready); } else { location.reload(); }
          } else if (s.status === "failed") {
            location.reload();
          } else { setTimeout(poll, 500); }
        })
        .catch(function () { setTimeout(poll, 2000); });
    }
    poll();
  }

  // ---- review: keyboard first, every choice saved at once -------------------------------
  var STANCE_KEYS = { p: "praise", c: "criticism", s: "suggestion", i: "inquiry" };

  function setupReview() {
    var box = $("#review"); if (!box) return;
    var err = $("#review-error");
    var topicButtons = box.querySelectorAll('[data-head="topic"]');
    var url = "/api/jobs/" + box.dataset.job + "/rows/" + box.dataset.n + "/label";

    function mark(head, label) {
      box.querySelectorAll('.choice[data-head="' + head + '"]').forEach(function (b) {
        b.classList.toggle("on", b.dataset.label === label);
      });
      box.dataset[head] = label;
    }
    function save() {
      show(err, "");
      return postJSON(url, { topic: box.dataset.topic, stance: box.dataset.stance })
        .then(function () { $("#saved").hidden = false; })
        .catch(function (e) { show(err, "保存失败 (not saved): " + e.message); throw e; });
    }
    function choose(head, label) { mark(head, label); return save(); }
    function go(href) { if (href) location.href = href; }
    function confirm() {
      save().then(function () {
        if (box.dataset.next) go(box.dataset.next); else location.reload();
      }).catch(function () {});
    }

    box.querySelectorAll(".choice").forEach(function (b) {
      b.addEventListener("click", function () { choose(b.dataset.head, b.dataset.label).catch(function () {}); });
    });
    $("#confirm").addEventListener("click", confirm);
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target; if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
      var k = e.key.toLowerCase();
      if (/^[1-9]$/.test(k) && topicButtons[+k - 1]) { e.preventDefault(); choose("topic", topicButtons[+k - 1].dataset.label).catch(function () {}); }
      else if (STANCE_KEYS[k]) { e.preventDefault(); choose("stance", STANCE_KEYS[k]).catch(function () {}); }
      else if (e.key === "Enter") { e.preventDefault(); confirm(); }
      else if (e.key === "ArrowRight") { e.preventDefault(); go(box.dataset.next); }
      else if (e.key === "ArrowLeft") { e.preventDefault(); go(box.dataset.prev); }
    });
  }

  function setupReviewTable() {
    var table = $("#review-table"); if (!table) return;
    var err = $("#review-error");
    table.querySelectorAll("select").forEach(function (s) {
      s.addEventListener("change", function () {
        var tr = s.closest("tr");
        var body = { topic: tr.querySelector('[data-head="topic"]').value, stance: tr.querySelector('[data-head="stance"]').value };
        postJSON("/api/jobs/" + table.dataset.job + "/rows/" + tr.dataset.n + "/label", body)
          .then(function () { tr.classList.add("reviewed"); tr.querySelector(".state").textContent = "✔"; show(err, ""); })
          .catch(function (e) { show(err, "保存失败 (not saved): " + e.message); });
      });
    });
  }

  // ---- results: the value box offers the chosen column's values (乡镇, 派出所 …) --------
  function setupFilters() {
    var column = $("#f-column"), value = $("#f-value"); if (!column || !value) return;
    function link() {
      var option = column.options[column.selectedIndex];
      var list = option && option.dataset.list;
      if (list) value.setAttribute("list", list); else value.removeAttribute("list");
    }
    column.addEventListener("change", function () { value.value = ""; link(); });
    link();
  }

  function setupOne() {
    var text = $("#one-text"); if (!text) return;
    text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("#one-form").submit(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupUpload(); setupJob(); setupFilters(); setupReview(); setupReviewTable(); setupOne();
  });
})();
