import { builder } from "./builder.ts";
import "./workspace.ts";
import "./collection.ts";
import "./record.ts";

export const schema = builder.toSchema({ sortSchema: true });
