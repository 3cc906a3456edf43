/**
 * The content of the customer import template (crm-customer-controller.md 6.3) that is not the
 * column list itself: the two example rows, the drop-down and range checks Excel applies while the
 * user types, and the instructions sheet. Which locale: `zh` writes the Chinese wording, the
 * Chinese customer type names in the type drop-down and Chinese examples. Pure apart from building
 * exceljs objects in memory.
 */
import type { DataValidation, Workbook, Worksheet } from 'exceljs';
import { IMPORT_COLUMNS, type ImportKey } from '../../domain/crm/customer-sheet.ts';
import { CUSTOMER_TYPES, CUSTOMER_TYPE_NAMES_ZH, MAX_PAYMENT_TERMS_DAYS } from '../../domain/crm/profile.ts';

// exceljs 4.4.0 has Worksheet.dataValidations (lib/doc/data-validations.js: add a validation to a
// range such as "C2:C1001", written as one <dataValidation sqref>), but its typings omit it.
declare module 'exceljs' {
  interface Worksheet {
    readonly dataValidations: {
      add(address: string, validation: DataValidation): DataValidation;
      find(address: string): DataValidation | undefined;
    };
  }
}

/** The data rows the template's checks cover: rows 2 to 1001 (1000 customers). */
export const TEMPLATE_FIRST_ROW = 2;
export const TEMPLATE_LAST_ROW = 1_001;

/** A row of the template: cell values by column key (money as a decimal string). */
export type TemplateRow = Partial<Record<ImportKey, string | number | boolean>>;

/** Two example rows, an enterprise and an individual, valid under every column's help text. */
export function exampleRows(zh: boolean): TemplateRow[] {
  return [
    {
      customerCode: 'C-1001',
      name: zh ? '示例贸易有限公司' : 'Example Trading Co., Ltd.',
      customerType: zh ? CUSTOMER_TYPE_NAMES_ZH.enterprise : 'enterprise',
      industry: zh ? '批发贸易' : 'Wholesale',
      contactPerson: zh ? '李伟' : 'Li Wei',
      phone: '+86 10 6512 3456',
      email: 'finance@example.com',
      company: zh ? '示例贸易有限公司' : 'Example Trading Co., Ltd.',
      address: zh ? '北京市朝阳区建国路 88 号' : '88 Jianguo Road, Chaoyang District, Beijing',
      creditLimit: '50000.00',
      paymentTermsDays: 30,
      taxNumber: '91110105MA01ABCD2X',
      country: 'CN',
      region: zh ? '北京市' : 'Beijing',
      rating: 4,
      ratingNotes: zh ? '按时付款' : 'Always pays on time',
      notes: zh ? '年度合同客户' : 'Annual contract',
      isActive: true,
    },
    {
      customerCode: 'C-1002',
      name: zh ? '张三' : 'Zhang San',
      customerType: zh ? CUSTOMER_TYPE_NAMES_ZH.individual : 'individual',
      contactPerson: zh ? '张三' : 'Zhang San',
      phone: '13800138000',
      email: 'zhang.san@example.com',
      address: zh ? '上海市浦东新区世纪大道 100 号' : '100 Century Avenue, Pudong, Shanghai',
      creditLimit: '0.00',
      paymentTermsDays: 0,
      isActive: true,
    },
  ];
}

/** The checks on one column of data rows. */
function validations(zh: boolean): Partial<Record<ImportKey, DataValidation>> {
  const types = zh ? CUSTOMER_TYPES.map((type) => CUSTOMER_TYPE_NAMES_ZH[type]) : [...CUSTOMER_TYPES];
  const check = (validation: DataValidation, error: string): DataValidation => ({
    ...validation,
    allowBlank: true,
    showErrorMessage: true,
    errorStyle: 'stop',
    errorTitle: zh ? '输入无效' : 'Invalid value',
    error,
  });
  return {
    customerType: check({ type: 'list', formulae: [`"${types.join(',')}"`] }, zh ? `请选择：${types.join('、')}` : `Choose one of: ${types.join(', ')}`),
    rating: check({ type: 'whole', operator: 'between', formulae: [1, 5] }, zh ? '评级为 1 到 5 的整数' : 'A whole number of stars from 1 to 5'),
    isActive: check({ type: 'list', formulae: ['"TRUE,FALSE"'] }, zh ? '请选择 TRUE 或 FALSE' : 'Choose TRUE or FALSE'),
    paymentTermsDays: check(
      { type: 'whole', operator: 'between', formulae: [0, MAX_PAYMENT_TERMS_DAYS] },
      zh ? `付款期限为 0 到 ${MAX_PAYMENT_TERMS_DAYS} 的整数天数` : `A whole number of days from 0 to ${MAX_PAYMENT_TERMS_DAYS}`,
    ),
    creditLimit: check({ type: 'decimal', operator: 'greaterThanOrEqual', formulae: [0] }, zh ? '信用额度为不小于 0 的金额' : 'An amount of 0 or more'),
  };
}

/** Adds the checks to rows {@link TEMPLATE_FIRST_ROW}..{@link TEMPLATE_LAST_ROW} of `sheet`, whose columns are IMPORT_COLUMNS. */
export function addValidations(sheet: Worksheet, zh: boolean): void {
  const byKey = validations(zh);
  IMPORT_COLUMNS.forEach((column, index) => {
    const validation = byKey[column.key];
    if (validation === undefined) return;
    const letter = sheet.getColumn(index + 1).letter;
    sheet.dataValidations.add(`${letter}${TEMPLATE_FIRST_ROW}:${letter}${TEMPLATE_LAST_ROW}`, validation);
  });
}

/**
 * Adds the instructions sheet: a header row, then one row per importable column (header, Chinese
 * header, required yes/no, help text), then a note on the example rows.
 */
export function addInstructions(workbook: Workbook, zh: boolean): Worksheet {
  const sheet = workbook.addWorksheet(zh ? '填写说明' : 'Instructions', { views: [{ state: 'frozen', ySplit: 1 }] });
  const widths = [24, 16, 10, 100];
  widths.forEach((width, index) => {
    sheet.getColumn(index + 1).width = width;
  });
  sheet.getColumn(4).alignment = { wrapText: true, vertical: 'top' };
  sheet.addRow(zh ? ['列名（英文）', '列名（中文）', '必填', '填写说明'] : ['Header', 'Chinese header', 'Required', 'What to enter']).font = { bold: true };
  for (const column of IMPORT_COLUMNS) {
    const required = column.required ? (zh ? '是' : 'yes') : zh ? '否' : 'no';
    sheet.addRow([column.header, column.headerZh, required, column.help]);
  }
  sheet.addRow([]);
  sheet.addRow([
    zh
      ? '第一行必须是列名；第 2、3 行是示例，导入前请修改或删除。已存在的客户代码会更新该客户。'
      : 'The first row must hold the column headers. Rows 2 and 3 are examples: change or delete them before importing. An existing customer code updates that customer.',
  ]);
  return sheet;
}
