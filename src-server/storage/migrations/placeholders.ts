/** Where a migration needs an auto-increment primary key (spelled differently by each dialect). */
export const ID = '{{ID}}';
/** A newline character inside an SQL expression (char(10) / chr(10)). */
export const NL = '{{NL}}';
