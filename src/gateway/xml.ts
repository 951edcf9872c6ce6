// The little XML S3 speaks: writing responses (elements with escaped text) and reading the two request
// bodies the gateway accepts (DeleteObjects, CompleteMultipartUpload). The reader is strict: anything it
// does not understand is MalformedXML, never a guess.
import { s3 } from "./errors";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

export const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

export type XmlContent = string | number | boolean | XmlContent[] | undefined;

/** `<name>content</name>`; arrays are concatenated children, strings escaped, undefined omitted entirely. */
export function xmlElement(name: string, content: XmlContent, attrs = ""): string {
  if (content === undefined) return "";
  const inner = Array.isArray(content) ? content.map((c) => (c === undefined ? "" : String(c))).join("") : escapeXml(String(content));
  return `<${name}${attrs}>${inner}</${name}>`;
}

/** A raw child list: strings already rendered as elements. */
export const xmlChildren = (name: string, children: string[]) => `<${name}>${children.join("")}</${name}>`;

export const S3_NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

export const xmlDocument = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

export interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

const unescapeXml = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_m, e: string) => {
    if (e === "amp") return "&";
    if (e === "lt") return "<";
    if (e === "gt") return ">";
    if (e === "quot") return '"';
    if (e === "apos") return "'";
    const code = e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return String.fromCodePoint(code);
  });

/** Parses a small XML document into a tree (namespaces prefixes dropped). Throws MalformedXML. */
export function parseXml(source: string, what: string): XmlNode {
  let at = 0;
  const fail = (why: string): never => {
    throw s3.malformedXml(`the XML body of ${what} is malformed: ${why} at offset ${at}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (at < source.length && /\s/.test(source[at])) at++;
      if (source.startsWith("<?", at)) {
        const end = source.indexOf("?>", at);
        if (end < 0) fail("unterminated declaration");
        at = end + 2;
      } else if (source.startsWith("<!--", at)) {
        const end = source.indexOf("-->", at);
        if (end < 0) fail("unterminated comment");
        at = end + 3;
      } else return;
    }
  };
  const localName = (qname: string) => qname.slice(qname.indexOf(":") + 1);
  const element = (): XmlNode => {
    if (source[at] !== "<") fail("expected an element");
    const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(source.slice(at, at + 2048));
    if (!m) fail("malformed start tag");
    at += m![0].length;
    const node: XmlNode = { name: localName(m![1]), children: [], text: "" };
    if (m![3] === "/") return node;
    for (;;) {
      const next = source.indexOf("<", at);
      if (next < 0) fail(`unclosed element <${m![1]}>`);
      node.text += unescapeXml(source.slice(at, next));
      at = next;
      if (source.startsWith("</", at)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(at, at + 512));
        if (!close || close[1] !== m![1]) fail(`mismatched end tag for <${m![1]}>`);
        at += close![0].length;
        return node;
      }
      if (source.startsWith("<!--", at)) {
        const end = source.indexOf("-->", at);
        if (end < 0) fail("unterminated comment");
        at = end + 3;
        continue;
      }
      if (source.startsWith("<![CDATA[", at)) {
        const end = source.indexOf("]]>", at);
        if (end < 0) fail("unterminated CDATA");
        node.text += source.slice(at + 9, end);
        at = end + 3;
        continue;
      }
      node.children.push(element());
    }
  };
  skipMisc();
  if (at >= source.length) fail("empty document");
  const root = element();
  skipMisc();
  if (at !== source.length) fail("content after the root element");
  return root;
}

export const childrenNamed = (node: XmlNode, name: string) => node.children.filter((c) => c.name === name);
export const childText = (node: XmlNode, name: string): string | undefined => node.children.find((c) => c.name === name)?.text;
