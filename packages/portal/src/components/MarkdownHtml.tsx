/** Markdown rendered to HTML (its own chunk: marked and DOMPurify are loaded on first use, see ui.tsx). */
import { renderMarkdown } from '../markdown';

export default function MarkdownHtml({ source, className }: { source: string; className: string }) {
  // Sanitised by DOMPurify in renderMarkdown: no script, no event handler survives.
  return <div className={className} dangerouslySetInnerHTML={{ __html: renderMarkdown(source) }} />;
}
