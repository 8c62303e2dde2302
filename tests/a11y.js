// What tests/test_accessibility.py measures in a page, beside axe-core: evaluated through DevTools, never by the page.
window.hmicChecks = {
  // The page's width against the window's, and the text that makes it wider outside a box that scrolls.
  wider() {
    const scrolls = (e) => {
      for (let p = e; p; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === "auto" || o === "scroll") return true;
      }
      return false;
    };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n; (n = walker.nextNode()); ) {
      const r = document.createRange();
      r.selectNodeContents(n);
      if (r.getBoundingClientRect().right > innerWidth + 0.5 && !scrolls(n.parentElement)) out.push(n.textContent.trim().slice(0, 80));
    }
    return { scroll: document.documentElement.scrollWidth, window: innerWidth, wider: out.slice(0, 5) };
  },

  // WCAG's contrast ratio between a graphic's edge and what it stands on (1.4.11 asks 3:1): chart bars (their
  // fill, or their stroke when patterned) against the chart's background, grade badges (their fill, else their
  // border) against theirs, the outline of the force's own cell against the cell.
  contrast() {
    const rgb = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const v = m[1].split(/[ ,\/]+/).map(Number);
      return v.length > 3 && v[3] === 0 ? null : v.slice(0, 3);
    };
    const lum = (v) => {
      const [r, g, b] = v.map((x) => ((x /= 255) <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const behind = (e) => {
      for (let p = e.parentElement; p; p = p.parentElement) {
        const c = rgb(getComputedStyle(p).backgroundColor);
        if (c) return c;
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const bar of document.querySelectorAll("svg.chart rect.bar")) {
      const s = getComputedStyle(bar);
      out.push({ what: "chart bar in " + bar.closest("figure").querySelector("h3").id, ratio: ratio(rgb(s.fill) || rgb(s.stroke), behind(bar.closest("svg"))) });
    }
    for (const badge of document.querySelectorAll(".grade")) {
      const s = getComputedStyle(badge);
      out.push({ what: `badge ${badge.className} "${badge.textContent}"`, ratio: ratio(rgb(s.backgroundColor) || rgb(s.borderTopColor), behind(badge)) });
    }
    for (const cell of document.querySelectorAll("td.own")) {
      const s = getComputedStyle(cell);
      out.push({ what: "own cell", ratio: ratio(rgb(s.outlineColor), rgb(s.backgroundColor) || behind(cell)) });
    }
    return out;
  },

  // Tables without a caption, and table boxes that scroll but that the keyboard cannot reach or that have no name.
  tables() {
    const uncaptioned = [...document.querySelectorAll("table")].filter((t) => !(t.caption && t.caption.textContent.trim()));
    const unreachable = [...document.querySelectorAll(".table-wrap")].filter(
      (w) => w.tabIndex !== 0 || w.getAttribute("role") !== "region" || !document.getElementById(w.getAttribute("aria-labelledby")),
    );
    return { uncaptioned: uncaptioned.length, unreachable: unreachable.length, charts: document.querySelectorAll("svg.chart").length };
  },
};
