// npm run docs:keys: rewrites README.md's daemon key table from components/docker-host/daemon-keys.ts.
import * as fs from "fs";
import * as path from "path";
import { updateReadme } from "../components/docker-host/daemon-keys-doc";

const file = path.resolve(__dirname, "..", "README.md");
const before = fs.readFileSync(file, "utf8");
const after = updateReadme(before);
if (after !== before) fs.writeFileSync(file, after);
console.log(after === before ? "README.md: daemon key table up to date" : "README.md: daemon key table rewritten");
