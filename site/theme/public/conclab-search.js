// Search box of the Concurrency Lab website: searches myst.search.json, the
// index mystmd writes for the site (headings and paragraphs of every page).
// Runs in the browser, offline; no library.
(function () {
  "use strict";
  const base = document.body.dataset.baseUrl || "";
  const input = document.getElementById("conclab-search");
  const list = document.getElementById("conclab-search-results");
  if (!input || !list) return;
  let records = null;
  let loading = null;

  function load() {
    if (!loading) {
      loading = fetch(base + "/myst.search.json")
        .then((response) => response.json())
        .then((index) => {
          records = (index.records || []).map((record) => {
            const levels = Object.keys(record.hierarchy || {})
              .sort()
              .map((key) => record.hierarchy[key])
              .filter(Boolean);
            return {
              url: record.url,
              page: levels[0] || "",
              title: levels[levels.length - 1] || "",
              heads: levels.join(" ").toLowerCase(),
              content: record.content || "",
              text: (levels.join(" ") + " " + (record.content || "")).toLowerCase(),
            };
          });
        });
    }
    return loading;
  }

  // "/slug#anchor" -> "/slug/#anchor": each page is <slug>/index.html
  function pageUrl(url) {
    const [path, anchor] = url.split("#");
    const dir = path.endsWith("/") ? path : path + "/";
    return dir + (anchor ? "#" + anchor : "");
  }

  function snippet(text, word) {
    const at = text.toLowerCase().indexOf(word);
    const start = Math.max(0, at - 40);
    const part = text.slice(start, start + 120).replace(/\s+/g, " ").trim();
    return (start > 0 ? "…" : "") + part + (start + 120 < text.length ? "…" : "");
  }

  function search(query) {
    const words = query.toLowerCase().split(/\s+/).filter((w) => w.length > 1);
    if (!words.length) return [];
    const seen = new Set();
    return records
      .filter((r) => words.every((w) => r.text.includes(w)))
      .map((r) => ({
        r,
        score: words.reduce(
          (s, w) => s + (r.heads.includes(w) ? 10 : 0) + Math.min(3, r.text.split(w).length - 1),
          0
        ),
      }))
      .sort((a, b) => b.score - a.score)
      .filter(({ r }) => (seen.has(r.url) ? false : seen.add(r.url)))
      .slice(0, 10)
      .map(({ r }) => ({ ...r, snippet: r.content ? snippet(r.content, words[0]) : "" }));
  }

  function show(results, query) {
    list.replaceChildren();
    if (!query.trim()) {
      list.hidden = true;
      return;
    }
    if (!results.length) {
      const none = document.createElement("li");
      none.className = "none";
      none.textContent = "Nothing found for “" + query + "”";
      list.append(none);
    }
    for (const result of results) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = base + pageUrl(result.url);
      const title = document.createElement("strong");
      title.textContent = result.title;
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = result.page + (result.snippet ? " · " + result.snippet : "");
      link.append(title, where);
      item.append(link);
      list.append(item);
    }
    list.hidden = false;
  }

  input.addEventListener("input", () => {
    const query = input.value;
    load().then(() => {
      if (input.value === query) show(search(query), query);
    });
  });
  input.addEventListener("focus", () => load());
  input.addEventListener("keydown", (event) => {
    const first = list.querySelector("a");
    if (event.key === "Enter" && first) window.location.href = first.href;
    if (event.key === "ArrowDown" && first) {
      event.preventDefault();
      first.focus();
    }
    if (event.key === "Escape") list.hidden = true;
  });
  list.addEventListener("keydown", (event) => {
    const links = Array.from(list.querySelectorAll("a"));
    const at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at + 1 < links.length) links[at + 1].focus();
    if (event.key === "ArrowUp") (at > 0 ? links[at - 1] : input).focus();
    if (event.key === "Escape") {
      list.hidden = true;
      input.focus();
    }
    if (event.key.startsWith("Arrow")) event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".search")) list.hidden = true;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== input) {
      event.preventDefault();
      input.focus();
    }
  });
})();
