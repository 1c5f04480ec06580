// npm run docs:keys: rewrites the daemon key table of docs/stack-config.md from components/docker-host/daemon-keys.ts.
import * as fs from "fs";
import * as path from "path";
import { KEY_TABLE_DOC, updateKeyTable } from "../components/docker-host/daemon-keys-doc";

const file = path.resolve(__dirname, "..", KEY_TABLE_DOC);
const before = fs.readFileSync(file, "utf8");
const after = updateKeyTable(before);
if (after !== before) fs.writeFileSync(file, after);
console.log(after === before ? `${KEY_TABLE_DOC}: daemon key table up to date` : `${KEY_TABLE_DOC}: daemon key table rewritten`);
