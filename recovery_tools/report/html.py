"""The one-file HTML report of a rehearsal or a verify run: timeline, four charts (inline SVG by inline JS), criteria.

It opens offline: no CDN, no external file. The journal is embedded as JSON; the script draws the charts
from it and marks <body data-charts-drawn="N"> once done, which the headless-browser test reads.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from typing import Any

from recovery_tools.criteria.facts import POOL_LIMIT

# (chart id, title, series-name prefix or exact name, y-axis label)
CHARTS: tuple[tuple[str, str, str, str], ...] = (
    ("queues", "Queue depth per queue", "queue_depth:", "jobs not finished"),
    ("errors", "Errors per signature (cumulative)", "errors:", "log events"),
    ("connections", f"Postgres app connections against the {POOL_LIMIT} limit", "pg_connections", "connections"),
    ("workflows", "Workflows completed", "workflows_finished", "workflows done"),
)

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600;color:#fff}
.holds{background:#1f7a3d}.fails{background:#b3261e}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #d5d9e0;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f2f4f7}td.ok{color:#1f7a3d;font-weight:600}
td.failed{color:#b3261e;font-weight:600}code,pre{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;margin:0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:16px}
figure{margin:0;border:1px solid #d5d9e0;border-radius:6px;padding:8px}figcaption{font-weight:600}
svg text{font:11px system-ui,sans-serif;fill:#444}.muted{color:#667}details summary{cursor:pointer}
"""

_SCRIPT = r"""
(function(){
const J=JSON.parse(document.getElementById('journal-data').textContent);
const NS='http://www.w3.org/2000/svg';
const COLORS=['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#17becf','#bcbd22'];
function el(n,a,p){const e=document.createElementNS(NS,n);for(const k in a)e.setAttribute(k,a[k]);
  if(p)p.appendChild(e);return e;}
function hms(t){t=Math.max(0,Math.round(t));const h=Math.floor(t/3600),m=Math.floor(t%3600/60),s=t%60;
  return h+':'+String(m).padStart(2,'0')+':'+String(s).padStart(2,'0');}
const series=(J.measured&&J.measured.series)||{};
const end=Math.max(1,(J.measured&&J.measured.virtual_end)||0,...Object.values(series).flat().map(p=>p[0]));
const W=640,H=240,L=52,R=12,T=12,B=34;
function xs(t){return L+(W-L-R)*t/end;}
function axes(svg,ymax,label){
  el('line',{x1:L,y1:H-B,x2:W-R,y2:H-B,stroke:'#888'},svg);el('line',{x1:L,y1:T,x2:L,y2:H-B,stroke:'#888'},svg);
  for(let i=0;i<=4;i++){const t=end*i/4,x=xs(t);el('line',{x1:x,y1:H-B,x2:x,y2:H-B+4,stroke:'#888'},svg);
    el('text',{x:x,y:H-B+16,'text-anchor':'middle'},svg).textContent=hms(t);
    const v=ymax*i/4,y=H-B-(H-B-T)*i/4;el('text',{x:L-6,y:y+4,'text-anchor':'end'},svg).textContent=
      (Math.round(v*10)/10);}
  el('text',{x:W/2,y:H-2,'text-anchor':'middle'},svg).textContent='virtual time (h:mm:ss)';
  const yl=el('text',{x:12,y:(H-B)/2,'text-anchor':'middle',transform:'rotate(-90 12 '+(H-B)/2+')'},svg);
  yl.textContent=label;
  for(const d of (J.deploys||[])){const t=(d.measured&&d.measured.virtual_at)||d.virtual_at,x=xs(t);
    el('line',{x1:x,y1:T,x2:x,y2:H-B,stroke:'#999','stroke-dasharray':'4 3',class:'deploy'},svg);
    el('text',{x:x+3,y:T+10},svg).textContent=d.kind+': '+d.release;}
}
function chart(fig){
  const key=fig.dataset.series,exact=!key.endsWith(':');
  const names=Object.keys(series).filter(n=>exact?n===key:n.startsWith(key)).sort();
  const limit=fig.dataset.limit?Number(fig.dataset.limit):null;
  let ymax=limit?limit*1.2:1;for(const n of names)for(const p of series[n])ymax=Math.max(ymax,p[1]*1.1);
  const svg=el('svg',{viewBox:'0 0 '+W+' '+H,width:'100%',role:'img'});fig.appendChild(svg);
  axes(svg,ymax,fig.dataset.label);
  const ys=v=>H-B-(H-B-T)*v/ymax;
  if(limit!==null){el('line',{x1:L,y1:ys(limit),x2:W-R,y2:ys(limit),stroke:'#b3261e','stroke-width':1.5,
    class:'limit'},svg);el('text',{x:W-R-4,y:ys(limit)-4,'text-anchor':'end'},svg).textContent='limit '+limit;}
  let points=0;const legend=document.createElement('div');legend.className='muted';
  names.forEach((n,i)=>{const pts=series[n];if(!pts.length)return;points+=pts.length;
    const d=pts.map((p,j)=>(j?'L':'M')+xs(p[0]).toFixed(1)+' '+ys(p[1]).toFixed(1)).join(' ');
    el('path',{d:d,fill:'none',stroke:COLORS[i%COLORS.length],'stroke-width':1.6,class:'series','data-name':n},svg);
    const peak=Math.max(...pts.map(p=>p[1]));
    legend.insertAdjacentHTML('beforeend','<span style="color:'+COLORS[i%COLORS.length]+'">&#9632;</span> '+
      n.replace(key,'')+' (peak '+peak+') &nbsp; ');});
  fig.appendChild(legend);svg.setAttribute('data-points',points);return points>0;
}
function timeline(fig){
  const svg=el('svg',{viewBox:'0 0 '+W+' 90',width:'100%',height:'150',preserveAspectRatio:'xMinYMid meet',
    role:'img'});fig.appendChild(svg);
  el('line',{x1:L,y1:60,x2:W-R,y2:60,stroke:'#888'},svg);
  for(let i=0;i<=4;i++){const x=xs(end*i/4);el('text',{x:x,y:80,'text-anchor':'middle'},svg).textContent=
    hms(end*i/4);}
  for(const d of (J.deploys||[])){const x=xs((d.measured&&d.measured.virtual_at)||d.virtual_at);
    el('rect',{x:x-3,y:14,width:6,height:46,fill:'#555',class:'deploy'},svg);
    el('text',{x:x+5,y:12},svg).textContent=d.release;}
  let n=0;for(const s of J.steps){const t=(s.measured&&s.measured.virtual_start)!=null?s.measured.virtual_start:
    s.virtual_at;const c=el('circle',{cx:xs(t),cy:60,r:5,fill:s.outcome==='ok'?'#1f7a3d':'#b3261e',class:'step'},svg);
    el('title',{},c).textContent=s.n+'. '+s.title+' @ '+hms(t)+' ('+s.outcome+')';n++;}
  svg.setAttribute('data-points',n);return n>0;
}
let drawn=0;
for(const fig of document.querySelectorAll('figure.chart'))if(chart(fig))drawn++;
const tl=document.getElementById('timeline');if(tl&&timeline(tl))drawn++;
document.body.setAttribute('data-charts-drawn',String(drawn));
})();
"""


def _hms(seconds: float) -> str:
    total = max(0, round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _evidence_text(step: dict[str, Any]) -> str:
    parts = []
    for source in (step.get("evidence") or {}, step.get("measured") or {}):
        for key, value in source.items():
            if key in ("virtual_start", "virtual_end"):
                continue
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            parts.append(f"{key}: {shown}")
    return "\n".join(parts)


def _steps_table(journal: dict[str, Any]) -> str:
    rows = []
    for step in journal["steps"]:
        start = (step.get("measured") or {}).get("virtual_start", step["virtual_at"])
        evidence = _evidence_text(step)
        summary = escape(evidence.splitlines()[0][:140]) if evidence else ""
        rows.append(
            f"<tr><td>{step['n']}</td><td>{_hms(start)}</td><td>{escape(step['section'])}</td>"
            f"<td>{escape(step['title'])}</td><td>{escape(step['release'])}</td>"
            f"<td class=\"{escape(step['outcome'])}\">{escape(step['outcome'])}</td>"
            f"<td><details><summary>{summary}</summary><pre>{escape(evidence)}</pre></details></td></tr>"
        )
    return ("<table><tr><th>#</th><th>virtual</th><th>section</th><th>step</th><th>release</th><th>outcome</th>"
            "<th>evidence</th></tr>" + "".join(rows) + "</table>")


def _criteria_table(journal: dict[str, Any]) -> str:
    rows = []
    for criterion in journal["criteria"]:
        outcome = "ok" if criterion["holds"] else "failed"
        evidence = (criterion.get("measured") or {}).get("evidence", "")
        verdict = "holds" if criterion["holds"] else str(criterion.get("verdict", "fails")).upper()
        rows.append(
            f"<tr><td>{escape(criterion['text'])}</td><td class=\"{outcome}\">{verdict}"
            f"</td><td>{escape(criterion['measure'])}</td><td>{escape(evidence)}</td></tr>"
        )
    return ("<table><tr><th>criterion</th><th>verdict</th><th>measured as</th><th>evidence</th></tr>"
            + "".join(rows) + "</table>")


def render(journal: dict[str, Any]) -> str:
    """The report of one journal (as Journal.to_dict() gives it) as one self-contained HTML document."""
    verdict = journal["verdict"]
    holds = bool(verdict["holds"])
    failed = ", ".join(verdict["failed_criteria"] + verdict["failed_steps"])
    word = "INCONCLUSIVE" if verdict.get("verdict") == "inconclusive" else "FAILED"
    badge = ("<span class=\"verdict holds\">all success criteria hold</span>" if holds
             else f"<span class=\"verdict fails\">{word}: {escape(failed)}</span>")
    options = ", ".join(f"{key}={value}" for key, value in journal["options"].items())
    figures = "".join(
        f"<figure class=\"chart\" id=\"chart-{cid}\" data-series=\"{escape(key)}\" data-label=\"{escape(label)}\""
        + (f" data-limit=\"{POOL_LIMIT}\"" if cid == "connections" else "")
        + f"><figcaption>{escape(title)}</figcaption></figure>"
        for cid, title, key, label in CHARTS
    )
    # Every "<" escaped, so nothing in the journal (tool output, log lines) can end the script element.
    data = json.dumps(journal, default=str).replace("<", "\\u003c")
    versions = ", ".join(f"{name} {version}" for name, version in journal["versions"].items())
    kind = escape(str(journal.get("kind", "Rehearsal")))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{kind}: {escape(journal['scenario'])}</title>
<style>{_STYLE}</style></head>
<body data-charts-drawn="0">
<h1>{kind} <code>{escape(journal['scenario'])}</code></h1>
<p>{badge}</p>
<p class="muted">{escape(options)}<br>wall {journal['wall_started']} .. {journal['wall_finished']}
({journal['wall_seconds']} s)<br>{escape(versions)}</p>
<h2>Timeline of steps and deploys</h2>
<figure id="timeline"><figcaption>steps (green ok, red failed) and deploys over virtual time</figcaption></figure>
{_steps_table(journal)}
<h2>Over virtual time</h2>
<div class="charts">{figures}</div>
<h2>Success criteria</h2>
{_criteria_table(journal)}
<script type="application/json" id="journal-data">{data}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_report(path: Path, journal: dict[str, Any]) -> None:
    """Write the HTML report (to a temporary file, then renamed)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render(journal), encoding="utf-8")
    os.replace(partial, path)
