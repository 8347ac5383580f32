import { builder } from "./builder.ts";
import "./workspace.ts";
import "./collection.ts";
import "./record.ts";
import "./relationship.ts";
import "./token.ts";
import "./vault.ts";
import "./promotion.ts";

export const schema = builder.toSchema({ sortSchema: true });
