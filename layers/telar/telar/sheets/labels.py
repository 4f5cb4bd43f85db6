"""Words printed on the sheets production managers use, per group language (es, th; en as fallback).

The QC column headers themselves are the English contract labels (``telar.sheets.qc_sheet``, documented in
docs/spreadsheets.md) so any upload can be read; the words here are the human hints printed next to them.
English uses the contract labels themselves.
"""

from typing import Final

from telar.sheets.qc_sheet import LABEL_ASSIGNMENT_ID, LABEL_DATE, LABEL_INSPECTED_BY, QC_COLUMNS

LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {
        **QC_COLUMNS,  # the contract's own labels, where they are printed
        "assignment_id": LABEL_ASSIGNMENT_ID,
        "inspected_by": LABEL_INSPECTED_BY,
        "date": LABEL_DATE,
        "worksheet_title": "Work sheet",
        "buyer_reference": "Buyer reference",
        "order_id": "Order ID",
        "group": "Group",
        "due_date": "Due date",
        "product": "Product",
        "line_quantity": "Total quantity",
        "options": "Options",
        "notes": "Notes",
        "maker": "Maker",
        "quantity": "Quantity",
        "done": "Done ✓",
        "total_units": "Total units",
        "qc_title": "Quality control",
        "instructions": "Instructions",
        "defect_prompt": "Defects, separated by commas",
        "rework": "REWORK, round {round}",
        "rejected_for": "Rejected for",
        "materials": "Materials for this work",
        "material": "Material",
        "per_unit": "Per unit",
        "units": "Units",
        "unit": "Unit",
        "materials_total": "Total to buy",
        "no_materials": "The catalog has no bill of materials for these products yet.",
    },
    "es": {
        "worksheet_title": "Hoja de trabajo",
        "buyer_reference": "Referencia del cliente",
        "order_id": "N.º de pedido",
        "assignment_id": "N.º de asignación",
        "group": "Grupo",
        "due_date": "Fecha de entrega",
        "sku": "SKU",
        "product": "Producto",
        "line_quantity": "Cantidad total",
        "options": "Opciones",
        "notes": "Notas",
        "maker": "Artesana",
        "worker_id": "ID de artesana",
        "quantity": "Cantidad",
        "done": "Hecho ✓",
        "total_units": "Total de unidades",
        "qc_title": "Control de calidad",
        "planned": "Previsto",
        "produced": "Producido",
        "passed": "Aprobado",
        "rejected": "Rechazado",
        "defect_codes": "Códigos de defecto",
        "hours_worked": "Horas trabajadas",
        "inspected_by": "Inspeccionado por",
        "date": "Fecha",
        "instructions": "Instrucciones",
        "defect_prompt": "Defectos separados por comas",
        "rework": "REPROCESO, ronda {round}",
        "rejected_for": "Rechazadas por",
        "materials": "Materiales para este trabajo",
        "material": "Material",
        "per_unit": "Por unidad",
        "units": "Unidades",
        "unit": "Unidad",
        "materials_total": "Total a comprar",
        "no_materials": "El catálogo aún no tiene la lista de materiales de estos productos.",
    },
    "th": {
        "worksheet_title": "ใบงานการผลิต",
        "buyer_reference": "เลขอ้างอิงของผู้ซื้อ",
        "order_id": "รหัสคำสั่งซื้อ",
        "assignment_id": "รหัสงานที่มอบหมาย",
        "group": "กลุ่ม",
        "due_date": "วันกำหนดส่ง",
        "sku": "รหัสสินค้า (SKU)",
        "product": "สินค้า",
        "line_quantity": "จำนวนทั้งหมด",
        "options": "ตัวเลือก",
        "notes": "หมายเหตุ",
        "maker": "ช่างฝีมือ",
        "worker_id": "รหัสช่างฝีมือ",
        "quantity": "จำนวน",
        "done": "เสร็จแล้ว ✓",
        "total_units": "จำนวนรวม",
        "qc_title": "การตรวจสอบคุณภาพ",
        "planned": "ตามแผน",
        "produced": "ผลิตได้",
        "passed": "ผ่าน",
        "rejected": "ไม่ผ่าน",
        "defect_codes": "รหัสข้อบกพร่อง",
        "hours_worked": "ชั่วโมงทำงาน",
        "inspected_by": "ผู้ตรวจสอบ",
        "date": "วันที่",
        "instructions": "คำแนะนำ",
        "defect_prompt": "ข้อบกพร่อง คั่นด้วยเครื่องหมายจุลภาค",
        "rework": "งานแก้ไข (REWORK) รอบที่ {round}",
        "rejected_for": "ไม่ผ่านเพราะ",
        "materials": "วัสดุสำหรับงานนี้",
        "material": "วัสดุ",
        "per_unit": "ต่อชิ้น",
        "units": "จำนวนชิ้น",
        "unit": "หน่วย",
        "materials_total": "รวมที่ต้องซื้อ",
        "no_materials": "แคตตาล็อกยังไม่มีรายการวัสดุของสินค้าเหล่านี้",
    },
}

# The Instructions sheet of the QC template; {max_hours} and {codes} are filled in by the writer.
QC_INSTRUCTIONS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "How to fill in this QC sheet",
        "1. Fill in one row per maker and product: Produced, Passed, Rejected and Hours worked.",
        "   Write 0 when there is nothing to report; do not leave those cells empty.",
        "2. Passed + Rejected cannot be more than Produced.",
        "3. Defect codes: the defects of the rejected pieces, separated by commas: the words of the list below"
        " (or their codes).",
        "4. Hours worked: hours this maker spent on this product; 7.5 means 7 h 30. Up to {max_hours} h"
        " (more only for large quantities).",
        "5. If another maker of the group helped, use an empty row at the bottom: her Worker ID and the SKU.",
        "6. Write your name next to 'Inspected by' and the date next to 'Date' (day/month/year).",
        "7. Do not change the Assignment ID or the column headings. Save as .xlsx and upload it.",
        "Defect codes per product:",
    ),
    "es": (
        "Cómo llenar esta hoja de control de calidad",
        "1. Llene una fila por artesana y producto: Producido, Aprobado, Rechazado y Horas trabajadas.",
        "   Escriba 0 si no hay nada que informar; no deje esas celdas vacías.",
        "2. Aprobado + Rechazado no puede ser mayor que Producido.",
        "3. Códigos de defecto: los defectos de las piezas rechazadas, separados por comas: las palabras de la"
        " lista (o sus códigos).",
        "4. Horas trabajadas: horas de esta artesana en este producto; 7.5 = 7 h 30. Hasta {max_hours} h"
        " (más solo para cantidades grandes).",
        "5. Si ayudó otra artesana del grupo, use una fila vacía al final: su ID de artesana y el SKU.",
        "6. Escriba su nombre junto a 'Inspected by' y la fecha junto a 'Date' (día/mes/año).",
        "7. No cambie el Assignment ID ni los títulos de las columnas. Guarde como .xlsx y súbalo.",
        "Códigos de defecto por producto:",
    ),
    "th": (
        "วิธีกรอกใบตรวจสอบคุณภาพนี้",
        "1. กรอกหนึ่งแถวต่อช่างฝีมือหนึ่งคนและสินค้าหนึ่งรายการ: Produced, Passed, Rejected และ Hours worked",
        "   ถ้าไม่มีให้ใส่ 0 อย่าเว้นช่องเหล่านี้ว่างไว้",
        "2. Passed + Rejected ต้องไม่มากกว่า Produced",
        "3. Defect codes: ข้อบกพร่องของชิ้นที่ไม่ผ่าน คั่นด้วยเครื่องหมายจุลภาค ใช้คำในรายการด้านล่าง (หรือรหัส)",
        "4. Hours worked: ชั่วโมงที่ช่างฝีมือทำสินค้านี้ 7.5 คือ 7 ชั่วโมง 30 นาที ไม่เกิน {max_hours} ชั่วโมง (เกินได้เฉพาะงานจำนวนมาก)",
        "5. ถ้าช่างฝีมือคนอื่นในกลุ่มช่วยทำ ให้ใช้แถวว่างด้านล่าง: ใส่ Worker ID ของเธอและ SKU",
        "6. เขียนชื่อของคุณข้าง 'Inspected by' และวันที่ข้าง 'Date' (วัน/เดือน/ปี)",
        "7. ห้ามแก้ไข Assignment ID หรือหัวคอลัมน์ บันทึกเป็นไฟล์ .xlsx แล้วอัปโหลด",
        "รหัสข้อบกพร่องของแต่ละสินค้า:",
    ),
}


def labels_for(language: str) -> dict[str, str]:
    """The label dictionary of ``language``, English for any language without one."""
    return LABELS.get(language, LABELS["en"])


def instructions_for(language: str) -> tuple[str, ...]:
    return QC_INSTRUCTIONS.get(language, QC_INSTRUCTIONS["en"])


def sheet_title(words: dict[str, str], title_key: str, group_name: str, rework_round: int = 0) -> str:
    """A sheet's title: what it is, "rework, round n" in her language for a rework round, and the group."""
    parts = [words[title_key], *([words["rework"].format(round=rework_round)] if rework_round else []), group_name]
    return " — ".join(parts)
