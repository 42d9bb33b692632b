// /api/docs: the OpenAPI document as one readable HTML page (no scripts, no assets from elsewhere:
// it works on an air-gapped host).

interface OpenApiDoc {
  info: { title: string; version: string; description?: string };
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        tags?: string[];
        parameters?: { name: string; in: string; description?: string }[];
        requestBody?: unknown;
        responses?: Record<string, { description?: string }>;
      }
    >
  >;
}

const escape = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function renderApiDocs(doc: OpenApiDoc): string {
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? [])
        .map(
          (p) => `<code>${escape(p.name)}</code> (${escape(p.in)})${p.description ? `: ${escape(p.description)}` : ''}`,
        )
        .join('<br>');
      const statuses = Object.keys(op.responses ?? {}).join(', ');
      rows.push(
        `<tr><td><b>${method.toUpperCase()}</b></td><td><code>${escape(path)}</code></td><td>${escape(op.summary ?? '')}` +
          `${params ? `<br>${params}` : ''}${op.requestBody ? '<br>JSON body (see openapi.json)' : ''}</td><td>${statuses}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}code{background:#f4f4f4}</style>
</head><body>
<h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description ?? '')}</p>
<p>The machine-readable document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3).</p>
<table><tr><th>method</th><th>path</th><th>what it does</th><th>statuses</th></tr>
${rows.join('\n')}
</table></body></html>
`;
}
