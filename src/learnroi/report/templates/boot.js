// Draw every chart from its Vega-Lite specification with the inlined Vega bundle (works offline).
const specs = JSON.parse(document.getElementById("chart-specs").textContent);
const nodes = document.querySelectorAll("[data-chart]");
const jobs = [];
for (const el of nodes) {
  const spec = specs[el.dataset.chart];
  if (!spec) { el.textContent = "No data for this chart."; continue; }
  jobs.push(
    window.vegaEmbed(el, spec, { renderer: "svg", actions: false })
      .then(() => { el.dataset.rendered = "true"; })
      .catch((err) => { el.dataset.rendered = "error"; el.textContent = "Chart failed: " + err; console.error(err); })
  );
}
Promise.all(jobs).then(() => { document.body.dataset.chartsReady = "true"; });
